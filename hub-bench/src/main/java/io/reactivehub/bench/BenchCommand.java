package io.reactivehub.bench;

import io.reactivehub.bench.peer.NettyBroadcastServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar hub-bench/target/hub-bench.jar load --url ws://127.0.0.1:8080/ws ...}. */
@Command(
        name = "hub-bench.jar",
        mixinStandardHelpOptions = true,
        version = "Reactive Hub bench 0.1.0",
        description = "Load tools for WebSocket broadcast servers.",
        subcommands = {
            LoadCommand.class,
            SoakCommand.class,
            CompareCommand.class,
            NettyBroadcastServer.class,
            CommandLine.HelpCommand.class
        })
public final class BenchCommand {
    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }
}
