package io.reactivehub.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A soak: for the whole duration, steady fan-out with connection churn ({@link LoadRun}), slow
 * consumers (subscribers that never read, replaced every {@code slowLifeSeconds}), and a
 * subscribe/unsubscribe storm on the hub protocol; meanwhile the server process is sampled every
 * {@code intervalSeconds} ({@link SoakProbe}) and each series is judged flat or growing
 * ({@link Trend}) once past the settling time. Load goes to the loopback address only.
 */
final class SoakRun {
    /** The soak's shape. {@code pid} is the server's process on this machine. */
    record Options(
            int port,
            int pid,
            Duration duration,
            int intervalSeconds,
            int subscribers,
            int rate,
            int churn,
            int slowConsumers,
            int slowLifeSeconds,
            int stormConnections,
            int stormRate) {
        Options {
            if (duration.toSeconds() < 4L * intervalSeconds) {
                throw new IllegalArgumentException("the duration must cover at least 4 sampling intervals");
            }
        }
    }

    /** One table row. */
    record Row(long seconds, SoakProbe.Sample sample, long connections, long channels) {}

    /** The soak's outcome: the samples, a trend per series, and what the load saw. */
    record Result(
            List<Row> rows,
            List<String> verdicts,
            boolean flat,
            LoadResult fanout,
            long slowConsumerCloses,
            long slowConnects,
            long stormOps,
            long stormErrors) {}

    private static final String HOST = "127.0.0.1";
    private static final Pattern METRIC = Pattern.compile("(?m)^(hub_[a-z_]+)(?:\\{[^}]*\\})? ([0-9.eE+-]+)$");

    private final Options o;
    private final PrintStream log;
    private volatile boolean running = true;
    private final AtomicLong slowConnects = new AtomicLong();
    private final AtomicLong stormOps = new AtomicLong();
    private final AtomicLong stormErrors = new AtomicLong();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    SoakRun(Options options, PrintStream log) {
        this.o = options;
        this.log = log;
    }

    Result execute() throws Exception {
        long startNanos = System.nanoTime();
        long endNanos = startNanos + o.duration().toNanos();
        int warmup = 5;
        LoadOptions fanout = new LoadOptions(
                URI.create("ws://" + HOST + ":" + o.port() + "/ws/soak"),
                o.subscribers(),
                1,
                o.rate(),
                64,
                Duration.ofSeconds(warmup),
                o.duration().minusSeconds(warmup),
                16,
                100,
                1,
                o.pid(),
                "soak",
                false,
                "soak",
                o.churn(),
                false);
        CompletableFuture<LoadResult> load = CompletableFuture.supplyAsync(() -> {
            try {
                return new LoadRun(fanout).execute();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        List<Thread> actors = new ArrayList<>();
        actors.add(daemon("soak-slow-publisher", this::slowPublisher));
        for (int i = 0; i < o.slowConsumers(); i++) {
            actors.add(daemon("soak-slow-" + i, this::slowConsumer));
        }
        for (int i = 0; i < o.stormConnections(); i++) {
            actors.add(daemon("soak-storm-" + i, this::storm));
        }
        List<Row> rows = new ArrayList<>();
        try (SoakProbe probe = new SoakProbe(o.pid())) {
            log.printf(
                    "%7s %9s %9s %9s %8s %6s %7s %8s%n",
                    "t(s)", "rss MiB", "heap MiB", "direct", "buffers", "fds", "conns", "channels");
            for (long next = startNanos; next <= endNanos; next += TimeUnit.SECONDS.toNanos(o.intervalSeconds())) {
                TimeUnit.NANOSECONDS.sleep(Math.max(0, next - System.nanoTime()));
                String metrics = metrics();
                Row row = new Row(
                        Math.round((System.nanoTime() - startNanos) / 1e9),
                        probe.sample(),
                        (long) metric(metrics, "hub_connections_active"),
                        (long) metric(metrics, "hub_channels"));
                rows.add(row);
                log.printf(
                        "%7d %9.1f %9.1f %9.1f %8d %6d %7d %8d%n",
                        row.seconds(),
                        mib(row.sample().rssBytes()),
                        mib(row.sample().heapAfterGcBytes()),
                        mib(row.sample().directBytes()),
                        row.sample().directBuffers(),
                        row.sample().fds(),
                        row.connections(),
                        row.channels());
            }
        } finally {
            running = false;
        }
        for (Thread actor : actors) {
            actor.join(15_000);
        }
        LoadResult fanoutResult = load.get(120, TimeUnit.SECONDS);
        long slowCloses = (long) metric(metrics(), "hub_slow_consumer_disconnects_total");
        return judge(rows, fanoutResult, slowCloses);
    }

    /** Settled samples only: past the warm-up and the first 15% of the run. */
    private Result judge(List<Row> rows, LoadResult fanout, long slowCloses) {
        long settle = Math.max(5 + 2L * o.intervalSeconds(), o.duration().toSeconds() * 15 / 100);
        List<Row> settled = rows.stream().filter(r -> r.seconds() >= settle).toList();
        List<String> verdicts = new ArrayList<>();
        boolean flat = true;
        flat &= verdict(verdicts, "rss", settled, r -> r.sample().rssBytes(), 0.10, 16 << 20, true);
        flat &= verdict(verdicts, "heap after GC", settled, r -> r.sample().heapAfterGcBytes(), 0.10, 4 << 20, true);
        flat &= verdict(verdicts, "direct memory", settled, r -> r.sample().directBytes(), 0.10, 8 << 20, true);
        flat &= verdict(verdicts, "open fds", settled, r -> r.sample().fds(), 0.10, 32, false);
        return new Result(
                rows, verdicts, flat, fanout, slowCloses, slowConnects.get(), stormOps.get(), stormErrors.get());
    }

    private boolean verdict(
            List<String> out,
            String name,
            List<Row> rows,
            ToLongFunction<Row> value,
            double relative,
            double absolute,
            boolean bytes) {
        Trend t = Trend.of(
                rows.stream().map(r -> value.applyAsLong(r)).toList(), o.intervalSeconds(), relative, absolute);
        double unit = bytes ? 1 << 20 : 1;
        String suffix = bytes ? " MiB" : "";
        out.add(String.format(
                "%-14s first half %.1f%s, second half %.1f%s (tolerance %.1f%s), slope %+.2f%s/min: %s",
                name,
                t.firstHalf() / unit,
                suffix,
                t.secondHalf() / unit,
                suffix,
                t.tolerance() / unit,
                suffix,
                t.slopePerMinute() / unit,
                suffix,
                t.flat() ? "flat" : "GROWING"));
        return t.flat();
    }

    // --- the side actors: each loops until the run ends, every socket read bounded ---

    private Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Publishes 2 KiB messages to the slow consumers' channel at 200/s, over the hub protocol. */
    private void slowPublisher() {
        String data = "x".repeat(2048);
        while (running) {
            try (SoakSocket pub = SoakSocket.connect(HOST, o.port(), "/hub", -1)) {
                Thread reader = daemon("soak-slow-replies", () -> {
                    try {
                        while (running) {
                            pub.readText();
                        }
                    } catch (IOException ignored) {
                        // closed
                    }
                });
                for (long n = 0; running; n++) {
                    pub.sendText("{\"id\":" + n + ",\"op\":\"publish\",\"channel\":\"soak-slow\",\"data\":\"" + data
                            + "\"}");
                    TimeUnit.MILLISECONDS.sleep(5);
                }
                reader.interrupt();
            } catch (IOException | InterruptedException e) {
                pause(1000);
            }
        }
    }

    /** A subscriber with a 4 KiB window that never reads: the server must drop it (4001), not hold back. */
    private void slowConsumer() {
        pause(ThreadLocalRandom.current().nextInt(o.slowLifeSeconds() * 1000));
        while (running) {
            try {
                SoakSocket slow = SoakSocket.connect(HOST, o.port(), "/ws/soak-slow", 4096);
                slowConnects.incrementAndGet();
                for (int i = 0; i < o.slowLifeSeconds() * 10 && running; i++) {
                    pause(100);
                }
                slow.abort();
            } catch (IOException e) {
                pause(1000);
            }
        }
    }

    /** Subscribes to and unsubscribes from random channels as fast as --storm-rate allows. */
    private void storm() {
        long pauseNanos = 1_000_000_000L / Math.max(1, o.stormRate());
        while (running) {
            try (SoakSocket c = SoakSocket.connect(HOST, o.port(), "/hub", -1)) {
                for (long n = 0; running; n++) {
                    String channel = "storm-" + ThreadLocalRandom.current().nextInt(100);
                    c.sendText("{\"id\":" + n + ",\"op\":\"subscribe\",\"channel\":\"" + channel + "\"}");
                    count(c.readText());
                    TimeUnit.NANOSECONDS.sleep(pauseNanos);
                    c.sendText("{\"id\":" + n + ",\"op\":\"unsubscribe\",\"channel\":\"" + channel + "\"}");
                    count(c.readText());
                    TimeUnit.NANOSECONDS.sleep(pauseNanos);
                }
            } catch (IOException | InterruptedException e) {
                stormErrors.incrementAndGet();
                pause(1000);
            }
        }
    }

    private void count(String reply) {
        stormOps.incrementAndGet();
        if (!reply.contains("\"ok\":true")) {
            stormErrors.incrementAndGet();
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- the server's /metrics ---

    private String metrics() {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + o.port() + "/metrics"))
                    .timeout(Duration.ofSeconds(10))
                    .build();
            return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** A metric's value summed over its labels; -1 when absent. */
    static double metric(String text, String name) {
        Matcher m = METRIC.matcher(text);
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            if (m.group(1).equals(name)) {
                sum += Double.parseDouble(m.group(2));
                found = true;
            }
        }
        return found ? sum : -1;
    }

    private static double mib(long bytes) {
        return bytes / 1024.0 / 1024.0;
    }
}
