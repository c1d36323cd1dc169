package io.reactivehub.server.cli;

import java.util.Arrays;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar hub-server.jar [serve] [options]} or {@code java -jar hub-server.jar client URL}. */
@Command(
        name = "hub-server.jar",
        mixinStandardHelpOptions = true,
        version = "Reactive Hub 0.1.0",
        description = "Reactive Hub: a WebSocket messaging hub.",
        subcommands = {ServeCommand.class, ClientCommand.class, CommandLine.HelpCommand.class})
public final class HubCommand {
    private static final Set<String> SUBCOMMANDS = Set.of("serve", "client", "help");

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code; {@code serve} when no subcommand is named. */
    public static int run(String... args) {
        String[] effective = args;
        if (args.length == 0 || !SUBCOMMANDS.contains(args[0]) && !args[0].equals("--version")) {
            effective = new String[args.length + 1];
            effective[0] = "serve";
            System.arraycopy(args, 0, effective, 1, args.length);
        }
        return new CommandLine(new HubCommand())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(Arrays.copyOf(effective, effective.length));
    }
}
