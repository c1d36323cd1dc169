package io.reactivehub.bench;

import java.io.Writer;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Fan-out load against any raw broadcast WebSocket URL. */
@Command(
        name = "load",
        mixinStandardHelpOptions = true,
        description = {
            "Open N subscribers and P publishers on a broadcast WebSocket URL, publish, and measure every delivery.",
            "Publishers send binary frames stamped with their send time; every connection on the URL must receive every frame."
        })
final class LoadCommand implements Callable<Integer> {

    enum Preset {
        FANOUT_MAX("fanout-max", 1000, 1, 0, 64, 0),
        FANOUT_LATENCY("fanout-latency", 1000, 1, 1000, 64, 0),
        MANY_PUBLISHERS("many-publishers", 100, 10, 0, 1024, 0),
        IDLE("idle", 10_000, 0, 0, 64, 0),
        CHURN("churn", 1000, 1, 100, 64, 200),
        NODE_LIMIT("node-limit", 19_000, 1, 10, 64, 0);

        final String label;
        final int subs;
        final int pubs;
        final int rate;
        final int size;
        final int churn;

        Preset(String label, int subs, int pubs, int rate, int size, int churn) {
            this.label = label;
            this.subs = subs;
            this.pubs = pubs;
            this.rate = rate;
            this.size = size;
            this.churn = churn;
        }
    }

    @Option(
            names = "--url",
            required = true,
            description = "Broadcast WebSocket URL, e.g. ws://127.0.0.1:8080/ws/bench")
    URI url;

    @Option(
            names = "--publish-url",
            description = "Publishers connect here instead of --url: another hub node sharing "
                    + "the channel through Redis, to measure cross-node fan-out (same path and channel)")
    URI publishUrl;

    @Option(
            names = "--preset",
            description = {
                "fanout-max (1000 subs, 1 pub, max rate, 64 B), fanout-latency (1000 subs,",
                "1 pub, 1000 msg/s, 64 B), many-publishers (100 subs, 10 pubs, max, 1 KiB), idle (10,000 idle",
                "connections: server RSS per connection), churn (1000 subs, 100 msg/s, 200 connects+closes/s),",
                "node-limit (19,000 subs, near the 20,000 open files a process may have here, held idle for 60 s",
                "with the server's heartbeats, then 1 pub at 10 msg/s, 64 B: 190,000 deliveries/s);",
                "explicit options override it"
            })
    String preset;

    @Option(names = "--subs", split = ",", description = "Subscriber connections; a list runs a sweep (default 1000)")
    List<Integer> subs;

    @Option(names = "--pubs", description = "Publisher connections (default 1)")
    Integer pubs;

    @Option(
            names = "--rate",
            description = "Total messages per second over all publishers; 0 = as fast as delivered (default 0)")
    Integer rate;

    @Option(
            names = "--size",
            split = ",",
            description =
                    "Payload bytes, at least 16; a list runs a sweep (with --subs lists: every pair) (default 64)")
    List<Integer> size;

    @Option(
            names = "--protocol",
            defaultValue = "raw",
            description = "raw (any broadcast URL) or hub (the hub protocol at /hub). Default: ${DEFAULT-VALUE}")
    String protocol;

    @Option(
            names = "--channel",
            defaultValue = "bench",
            description = "Hub protocol: the channel to use. Default: ${DEFAULT-VALUE}")
    String channel;

    @Option(
            names = "--churn",
            description = "Connections opened and closed per second during the measurement (default 0)")
    Integer churn;

    @Option(
            names = "--deflate",
            description = "Subscribers offer permessage-deflate (and inflate what arrives compressed)")
    boolean deflate;

    @Option(
            names = "--idle-hold",
            description = "Seconds to hold every connection open before publishing: reports the server's idle CPU"
                    + " and RSS growth per connection (node-limit preset: 60; otherwise 0)")
    Integer idleHold;

    @Option(
            names = "--bind",
            split = ",",
            description = "Local addresses to connect from, round robin (e.g. 127.0.0.2,127.0.0.3): each has its own"
                    + " ephemeral ports")
    List<InetAddress> bind;

    @Option(names = "--chart", description = "Write a PNG chart of deliveries/s and latency percentiles over the runs")
    Path chart;

    @Option(
            names = "--window",
            defaultValue = "64",
            description = "Max-rate mode: messages in flight per publisher. Default: ${DEFAULT-VALUE}")
    int window;

    @Option(names = "--warmup", defaultValue = "5", description = "Warm-up seconds. Default: ${DEFAULT-VALUE}")
    int warmup;

    @Option(names = "--duration", defaultValue = "10", description = "Measured seconds. Default: ${DEFAULT-VALUE}")
    int duration;

    @Option(
            names = "--connect-concurrency",
            defaultValue = "100",
            description = "Handshakes in progress at once. Default: ${DEFAULT-VALUE}")
    int connectConcurrency;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description = "Generator event-loop threads. Default: ${DEFAULT-VALUE}")
    int threads;

    @Option(names = "--server-pid", defaultValue = "0", description = "Report this process's CPU and RSS")
    int serverPid;

    @Option(names = "--label", description = "Name of the run in the table and JSON")
    String label;

    @Option(names = "--json", description = "Write the results as JSON to this file")
    Path json;

    @Override
    public Integer call() throws Exception {
        Preset p = null;
        if (preset != null) {
            for (Preset candidate : Preset.values()) {
                if (candidate.label.equals(preset)) {
                    p = candidate;
                }
            }
            if (p == null) {
                System.err.println("error: unknown preset '" + preset
                        + "' (fanout-max, fanout-latency, many-publishers, idle, churn, node-limit)");
                return 2;
            }
        }
        List<Integer> subCounts = subs != null ? subs : List.of(p != null ? p.subs : 1000);
        int publishers = pubs != null ? pubs : p != null ? p.pubs : 1;
        int messageRate = rate != null ? rate : p != null ? p.rate : 0;
        List<Integer> sizes = size != null ? size : List.of(p != null ? p.size : 64);
        int churnRate = churn != null ? churn : p != null ? p.churn : 0;
        int hold = idleHold != null ? idleHold : p == Preset.NODE_LIMIT ? 60 : 0;
        boolean hub = switch (protocol) {
            case "raw" -> false;
            case "hub" -> true;
            default -> throw new ParameterException(new CommandLine(this), "--protocol must be raw or hub");
        };
        int minimum = hub ? Payload.TEXT_HEADER : Payload.HEADER;
        if (sizes.stream().anyMatch(b -> b < minimum)) {
            System.err.println("error: --size must be at least " + minimum);
            return 2;
        }
        List<LoadResult> results = new ArrayList<>();
        for (int n : subCounts) {
            for (int payload : sizes) {
                String name = label != null ? label : p != null ? p.label : "load";
                LoadOptions options = new LoadOptions(
                        url,
                        n,
                        publishers,
                        messageRate,
                        payload,
                        Duration.ofSeconds(warmup),
                        Duration.ofSeconds(duration),
                        window,
                        connectConcurrency,
                        threads,
                        serverPid,
                        name,
                        hub,
                        channel,
                        churnRate,
                        deflate,
                        publishUrl != null ? publishUrl : url,
                        Duration.ofSeconds(hold),
                        bind != null ? bind : List.of());
                results.add(new LoadRun(options).execute());
            }
        }
        System.out.print(LoadResult.table(results));
        if (json != null) {
            try (Writer w = Files.newBufferedWriter(json, StandardCharsets.UTF_8)) {
                LoadResult.writeJson(results, w);
            }
        }
        if (chart != null) {
            LoadChart.write(results, chart);
        }
        boolean clean = results.stream().allMatch(r -> r.delivered() > 0 || r.publishers() == 0);
        return clean ? 0 : 1;
    }
}
