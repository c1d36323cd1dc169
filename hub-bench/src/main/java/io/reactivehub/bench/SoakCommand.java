package io.reactivehub.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code soak}: hours-style load in minutes, and whether the server's memory and descriptors stay flat. */
@Command(
        name = "soak",
        mixinStandardHelpOptions = true,
        description = {
            "Steady fan-out with connection churn, slow consumers and a subscribe/unsubscribe storm against a hub on",
            "127.0.0.1 for --duration seconds; samples the server's RSS, heap after GC, direct memory and open file",
            "descriptors every --interval seconds and says whether each stayed flat or grew."
        })
final class SoakCommand implements Callable<Integer> {
    @Option(
            names = "--server-jar",
            description = "Start this hub-server.jar as a child process (127.0.0.1, free port) and stop it at the end")
    Path serverJar;

    @Option(names = "--server-arg", description = "More arguments for the started server (repeatable)")
    List<String> serverArgs = new ArrayList<>();

    @Option(names = "--port", description = "A hub already running on 127.0.0.1:PORT (with --server-pid)")
    Integer port;

    @Option(names = "--server-pid", description = "The process id of that hub, to sample")
    Integer serverPid;

    @Option(names = "--duration", defaultValue = "1800", description = "Seconds. Default: ${DEFAULT-VALUE}")
    int duration;

    @Option(
            names = "--interval",
            defaultValue = "10",
            description = "Seconds between samples. Default: ${DEFAULT-VALUE}")
    int interval;

    @Option(names = "--subs", defaultValue = "200", description = "Fan-out subscribers. Default: ${DEFAULT-VALUE}")
    int subs;

    @Option(names = "--rate", defaultValue = "200", description = "Fan-out messages/s. Default: ${DEFAULT-VALUE}")
    int rate;

    @Option(
            names = "--churn",
            defaultValue = "20",
            description = "Connections opened and closed per second. Default: ${DEFAULT-VALUE}")
    int churn;

    @Option(
            names = "--slow",
            defaultValue = "4",
            description =
                    "Slow consumers at a time (never read; replaced every --slow-life s). Default: ${DEFAULT-VALUE}")
    int slow;

    @Option(names = "--slow-life", defaultValue = "20", description = "Seconds. Default: ${DEFAULT-VALUE}")
    int slowLife;

    @Option(
            names = "--storm",
            defaultValue = "4",
            description = "Hub-protocol connections subscribing and unsubscribing. Default: ${DEFAULT-VALUE}")
    int storm;

    @Option(
            names = "--storm-rate",
            defaultValue = "40",
            description = "Commands/s per storm connection (the hub allows 50). Default: ${DEFAULT-VALUE}")
    int stormRate;

    @Override
    public Integer call() throws Exception {
        if (serverJar != null) {
            int freePort = ServerChild.freePort();
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar",
                    serverJar.toString(),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    Integer.toString(freePort)));
            command.addAll(serverArgs);
            try (ServerChild server = ServerChild.start(command, freePort)) {
                return run(server.port, server.pid());
            }
        }
        if (port == null || serverPid == null) {
            System.err.println("error: give --server-jar, or --port and --server-pid of a hub on 127.0.0.1");
            return 2;
        }
        return run(port, serverPid);
    }

    private int run(int serverPort, int pid) throws Exception {
        SoakRun.Options options = new SoakRun.Options(
                serverPort,
                pid,
                Duration.ofSeconds(duration),
                interval,
                subs,
                rate,
                churn,
                slow,
                slowLife,
                storm,
                stormRate);
        SoakRun.Result result = new SoakRun(options, System.out).execute();
        SoakReport.print(result, System.out);
        return SoakReport.passed(result) ? 0 : 1;
    }
}
