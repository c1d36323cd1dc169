package io.reactivehub.bench;

import com.sun.management.OperatingSystemMXBean;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * One load run: connect subscribers and publishers, warm up, measure, drain, report. Latency is
 * recorded for every delivery of a message sent inside the measurement window, from the
 * timestamp in the payload; loss is what those messages should have reached and did not.
 */
final class LoadRun {
    record Options(
            URI url,
            int subscribers,
            int publishers,
            int rate,
            int size,
            Duration warmup,
            Duration duration,
            int window,
            int connectConcurrency,
            int threads,
            int serverPid,
            String label,
            boolean hubProtocol,
            String channel,
            int churnPerSecond,
            boolean deflate,
            URI publishUrl) {
        /** Publishers and subscribers on the same server. */
        Options(
                URI url,
                int subscribers,
                int publishers,
                int rate,
                int size,
                Duration warmup,
                Duration duration,
                int window,
                int connectConcurrency,
                int threads,
                int serverPid,
                String label,
                boolean hubProtocol,
                String channel,
                int churnPerSecond,
                boolean deflate) {
            this(
                    url,
                    subscribers,
                    publishers,
                    rate,
                    size,
                    warmup,
                    duration,
                    window,
                    connectConcurrency,
                    threads,
                    serverPid,
                    label,
                    hubProtocol,
                    channel,
                    churnPerSecond,
                    deflate,
                    url);
        }
    }

    /** Per event-loop thread: written by that thread only, read by the reporting thread. */
    static final class Counters {
        private static final AtomicLongFieldUpdater<Counters> ALL =
                AtomicLongFieldUpdater.newUpdater(Counters.class, "all");
        private static final AtomicLongFieldUpdater<Counters> IN_WINDOW =
                AtomicLongFieldUpdater.newUpdater(Counters.class, "inWindow");
        private static final AtomicLongFieldUpdater<Counters> WIRE =
                AtomicLongFieldUpdater.newUpdater(Counters.class, "wire");
        final SingleWriterRecorder latency = new SingleWriterRecorder(3);
        volatile long all;
        volatile long inWindow;
        volatile long wire;

        void wire(int bytes) {
            WIRE.lazySet(this, wire + bytes);
        }

        void delivered(boolean counted, long latencyNanos) {
            ALL.lazySet(this, all + 1);
            if (counted) {
                IN_WINDOW.lazySet(this, inWindow + 1);
                latency.recordValue(latencyNanos);
            }
        }
    }

    private final Options o;
    private final long epoch = System.nanoTime();
    private final Histogram total = new Histogram(3);
    private final List<Counters> counters = new CopyOnWriteArrayList<>();
    private final FastThreadLocal<Counters> threadCounters = new FastThreadLocal<>() {
        @Override
        protected Counters initialValue() {
            Counters c = new Counters();
            counters.add(c);
            return c;
        }
    };
    private final LongAdder sentInWindow = new LongAdder();
    private final LongAdder sentAll = new LongAdder();
    private final LongAdder gaps = new LongAdder();
    private final LongAdder reorders = new LongAdder();
    private final AtomicInteger lost = new AtomicInteger();
    private final AtomicInteger serverCloses = new AtomicInteger();
    private volatile boolean running = true;
    private volatile boolean sending;
    private volatile long windowStart = Long.MAX_VALUE;
    private volatile long windowEnd = Long.MAX_VALUE;

    LoadRun(Options options) {
        this.o = options;
    }

    // --- callbacks from connections (event loop threads) ---

    long nowNanos() {
        return System.nanoTime() - epoch;
    }

    boolean running() {
        return running;
    }

    boolean sending() {
        return sending;
    }

    boolean maxRate() {
        return o.rate() <= 0;
    }

    int size() {
        return o.size();
    }

    void sent(long stamp) {
        sentAll.increment();
        if (stamp >= windowStart && stamp < windowEnd) {
            sentInWindow.increment();
        }
    }

    void delivered(long sentAt) {
        boolean counted = sentAt >= windowStart && sentAt < windowEnd;
        threadCounters.get().delivered(counted, counted ? Math.max(0, nowNanos() - sentAt) : 0);
    }

    /** Frame bytes a subscriber read from the socket (header and payload, as sent). */
    void wireBytes(int bytes) {
        threadCounters.get().wire(bytes);
    }

    private long wireBytesTotal() {
        long sum = 0;
        for (Counters c : counters) {
            sum += c.wire;
        }
        return sum;
    }

    String channelName() {
        return o.channel();
    }

    private long deliveredAll() {
        long sum = 0;
        for (Counters c : counters) {
            sum += c.all;
        }
        return sum;
    }

    private long deliveredInWindow() {
        long sum = 0;
        for (Counters c : counters) {
            sum += c.inWindow;
        }
        return sum;
    }

    /** Latency recorded since the last call, over all threads. */
    private Histogram intervalLatency() {
        Histogram interval = new Histogram(3);
        for (Counters c : counters) {
            interval.add(c.latency.getIntervalHistogram());
        }
        return interval;
    }

    void gap(int missing) {
        if (nowNanos() >= windowStart) {
            gaps.add(missing);
        }
    }

    void reordered() {
        reorders.increment();
    }

    void connectionLost() {
        lost.incrementAndGet();
    }

    void closedByServer(int code) {
        serverCloses.incrementAndGet();
    }

    // --- the run ---

    LoadResult execute() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(o.threads(), NioIoHandler.newFactory());
        try {
            return execute(group);
        } finally {
            running = false;
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        }
    }

    private LoadResult execute(EventLoopGroup group) throws Exception {
        ProcessStats server = o.serverPid() > 0 ? new ProcessStats(o.serverPid()) : null;
        ProcessStats.Sample beforeConnect = server == null ? null : server.sample();
        long t0 = System.nanoTime();
        List<BenchConnection> subs = connect(group, o.subscribers(), false);
        double connectSeconds = (System.nanoTime() - t0) / 1e9;
        int connectFailures = o.subscribers() - subs.size();
        List<BenchConnection> pubs = connect(group, o.publishers(), true);
        connectFailures += o.publishers() - pubs.size();
        progress(
                "connected %d/%d subscribers and %d/%d publishers in %.2fs (%.0f/s)",
                subs.size(),
                o.subscribers(),
                pubs.size(),
                o.publishers(),
                connectSeconds,
                subs.size() / Math.max(connectSeconds, 1e-9));
        if (o.publishers() == 0) {
            return idle(subs, connectFailures, connectSeconds, server, beforeConnect);
        }
        if (pubs.isEmpty()) {
            throw new IllegalStateException("no publisher could connect to " + o.publishUrl());
        }

        sending = true;
        long start = nowNanos();
        List<ScheduledFuture<?>> tickers = new ArrayList<>();
        if (maxRate()) {
            pubs.forEach(p -> p.channel().eventLoop().execute(() -> p.startWindow(o.window())));
        } else {
            double perPublisher = (double) o.rate() / pubs.size();
            long warmupNanos = o.warmup().toNanos();
            for (BenchConnection p : pubs) {
                long[] nextAt = {start};
                tickers.add(p.channel()
                        .eventLoop()
                        .scheduleAtFixedRate(
                                () -> {
                                    if (!sending) {
                                        return;
                                    }
                                    long now = nowNanos();
                                    // Intended send times, so a stall shows as latency (no coordinated omission).
                                    // The rate ramps from 10% to 100% over the warm-up: both JITs warm up before
                                    // the full load can overflow anybody's queue.
                                    while (nextAt[0] <= now) {
                                        p.sendOne(nextAt[0]);
                                        long elapsed = nextAt[0] - start;
                                        double share = elapsed >= warmupNanos
                                                ? 1.0
                                                : 0.1 + 0.9 * elapsed / (double) warmupNanos;
                                        nextAt[0] += (long) (1e9 / (perPublisher * share));
                                    }
                                    p.flush();
                                },
                                0,
                                1,
                                TimeUnit.MILLISECONDS));
            }
        }
        // Warm-up, and until every subscriber has received something: a server may confirm the
        // handshake before it has attached the connection to the channel.
        long lastDelivered = 0;
        long lastSent = 0;
        long warmupEnd = start + o.warmup().toNanos();
        while (nowNanos() < warmupEnd || !subs.stream().allMatch(c -> c.received)) {
            if (nowNanos() > warmupEnd + 30_000_000_000L) {
                long silent = subs.stream().filter(c -> !c.received).count();
                throw new IllegalStateException(silent + " subscribers received nothing in 30 s after warm-up");
            }
            TimeUnit.MILLISECONDS.sleep(Math.max(1, Math.min(1000, (warmupEnd - nowNanos()) / 1_000_000)));
            long d = deliveredAll();
            long s = sentAll.sum();
            progress(
                    "warm-up t=%5.1fs conns=%d sent=%d delivered=%d",
                    (nowNanos() - start) / 1e9, subs.size() + pubs.size() - lost.get(), s, d);
            lastDelivered = d;
            lastSent = s;
        }
        ProcessStats.Sample serverAtStart = server == null ? null : server.sample();
        long selfCpuAtStart = selfCpuNanos();
        long wireAtStart = wireBytesTotal();
        windowStart = nowNanos();
        windowEnd = windowStart + o.duration().toNanos();
        intervalLatency(); // nothing recorded yet; resets the interval
        long endAt = windowEnd;
        Churn churn = o.churnPerSecond() > 0 ? new Churn(group) : null;
        while (nowNanos() < endAt) {
            if (churn != null) {
                churn.tick();
            }
            long next = Math.min(endAt, nowNanos() + 1_000_000_000L);
            TimeUnit.NANOSECONDS.sleep(Math.max(0, next - nowNanos()));
            Histogram interval = intervalLatency();
            total.add(interval);
            long d = deliveredAll();
            long s = sentAll.sum();
            progress(
                    "measure t=%5.1fs conns=%d sent=%d (%d/s) delivered/s=%,d p99=%s",
                    (nowNanos() - start) / 1e9,
                    subs.size() + pubs.size() - lost.get(),
                    s,
                    s - lastSent,
                    d - lastDelivered,
                    interval.getTotalCount() == 0 ? "-" : ms(interval.getValueAtPercentile(99)));
            lastDelivered = d;
            lastSent = s;
        }
        ProcessStats.Sample serverAtEnd = server == null ? null : server.sample();
        long selfCpuAtEnd = selfCpuNanos();
        long wireInWindow = wireBytesTotal() - wireAtStart;
        if (churn != null) {
            progress(
                    "churn: %d connections opened and closed during the measurement, %d failed",
                    churn.done.get(), churn.failed.get());
        }
        sending = false;
        tickers.forEach(t -> t.cancel(false));
        // Drain: wait until every message sent in the window is delivered, or deliveries stop.
        long expected = sentInWindow.sum() * subs.size();
        long stableSince = System.nanoTime();
        long seen = -1;
        while (deliveredInWindow() < expected && System.nanoTime() - stableSince < 2_000_000_000L) {
            TimeUnit.MILLISECONDS.sleep(50);
            long now = deliveredInWindow();
            if (now != seen) {
                seen = now;
                stableSince = System.nanoTime();
            }
        }
        total.add(intervalLatency());
        double seconds = o.duration().toNanos() / 1e9;
        long delivered = deliveredInWindow();
        double serverCpu = serverAtStart == null ? Double.NaN : serverAtEnd.cpuPercentSince(serverAtStart);
        long serverRss = serverAtEnd == null ? -1 : serverAtEnd.rssBytes();
        double selfCpu = (selfCpuAtEnd - selfCpuAtStart) / 1e9 / seconds * 100;
        int disconnects = lost.get() + serverCloses.get();
        running = false; // our own closes below are not disconnects
        pubs.forEach(p -> p.channel().close());
        subs.forEach(s -> s.channel().close());
        return new LoadResult(
                o.label(),
                o.url().toString(),
                o.subscribers(),
                o.publishers(),
                o.rate(),
                o.size(),
                seconds,
                subs.size() + pubs.size(),
                connectFailures,
                connectSeconds,
                sentInWindow.sum(),
                expected,
                delivered,
                delivered / seconds,
                Math.max(0, expected - delivered),
                gaps.sum(),
                reorders.sum(),
                disconnects,
                total,
                serverCpu,
                serverRss,
                selfCpu,
                -1,
                wireInWindow / seconds);
    }

    /** No publishing: hold the connections for the duration, then report the server's RSS per connection. */
    private LoadResult idle(
            List<BenchConnection> subs,
            int failures,
            double connectSeconds,
            ProcessStats server,
            ProcessStats.Sample before)
            throws InterruptedException {
        ProcessStats.Sample start = server == null ? null : server.sample();
        long selfCpu0 = selfCpuNanos();
        TimeUnit.SECONDS.sleep(o.duration().toSeconds());
        ProcessStats.Sample end = server == null ? null : server.sample();
        double seconds = o.duration().toNanos() / 1e9;
        double selfCpu = (selfCpuNanos() - selfCpu0) / 1e9 / seconds * 100;
        if (server != null) {
            progress(
                    "idle: server RSS %d MiB before connecting, %d MiB with %d connections: %.2f KiB per connection",
                    before.rssBytes() >> 20,
                    end.rssBytes() >> 20,
                    subs.size(),
                    (end.rssBytes() - before.rssBytes()) / 1024.0 / Math.max(1, subs.size()));
        }
        int disconnects = lost.get() + serverCloses.get();
        running = false;
        subs.forEach(s -> s.channel().close());
        return new LoadResult(
                o.label(),
                o.url().toString(),
                o.subscribers(),
                0,
                0,
                o.size(),
                seconds,
                subs.size(),
                failures,
                connectSeconds,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                disconnects,
                new Histogram(3),
                server == null ? Double.NaN : end.cpuPercentSince(start),
                server == null ? -1 : end.rssBytes(),
                selfCpu,
                server == null ? -1 : (end.rssBytes() - before.rssBytes()) / Math.max(1, subs.size()),
                0);
    }

    /** Connect/disconnect storm: opens connections at a steady rate and closes each once it is open. */
    private final class Churn {
        private final EventLoopGroup group;
        private final long startNanos = System.nanoTime();
        private long opened;
        final AtomicInteger done = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();

        Churn(EventLoopGroup group) {
            this.group = group;
        }

        void tick() {
            long due = (long) ((System.nanoTime() - startNanos) / 1e9 * o.churnPerSecond());
            for (; opened < due; opened++) {
                BenchConnection conn = new BenchConnection(
                        LoadRun.this, o.url(), false, -1, o.publishers(), o.hubProtocol(), o.deflate());
                conn.churner = true;
                bootstrap(group, conn, o.url());
                conn.ready.whenComplete((c, e) -> {
                    if (e != null) {
                        failed.incrementAndGet();
                    } else {
                        done.incrementAndGet();
                        c.channel().close();
                    }
                });
            }
        }
    }

    private void bootstrap(EventLoopGroup group, BenchConnection conn, URI url) {
        int port = url.getPort() > 0 ? url.getPort() : 80;
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(conn);
        b.connect(url.getHost(), port).addListener(done -> {
            if (!done.isSuccess()) {
                conn.ready.completeExceptionally(done.cause());
            }
        });
    }

    private List<BenchConnection> connect(EventLoopGroup group, int count, boolean publisher)
            throws InterruptedException {
        // Publishers may talk to another node than subscribers (cross-node fan-out through Redis).
        URI url = publisher ? o.publishUrl() : o.url();
        Semaphore permits = new Semaphore(o.connectConcurrency());
        List<CompletableFuture<BenchConnection>> all = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            permits.acquire();
            BenchConnection conn = new BenchConnection(
                    this, url, publisher, i, o.publishers(), o.hubProtocol(), o.deflate() && !publisher);
            bootstrap(group, conn, url);
            conn.ready.whenComplete((c, e) -> permits.release());
            all.add(conn.ready);
        }
        List<BenchConnection> connected = new ArrayList<>(count);
        for (CompletableFuture<BenchConnection> f : all) {
            try {
                connected.add(f.get(30, TimeUnit.SECONDS));
            } catch (Exception e) {
                // counted as a connect failure
            }
        }
        return connected;
    }

    private static long selfCpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static String ms(long nanos) {
        return String.format("%.3fms", nanos / 1e6);
    }

    private static void progress(String format, Object... args) {
        System.err.println(String.format(format, args));
    }
}
