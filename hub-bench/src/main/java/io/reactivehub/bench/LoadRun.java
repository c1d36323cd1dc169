package io.reactivehub.bench;

import com.sun.management.OperatingSystemMXBean;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * One load run: connect subscribers and publishers, warm up, measure, drain, report. Latency is
 * recorded for every delivery of a message sent inside the measurement window, from the
 * timestamp in the payload; loss is what those messages should have reached and did not.
 */
final class LoadRun {
    private final LoadOptions o;
    private final long epoch = System.nanoTime();
    private final Histogram total = new Histogram(3);
    private final DeliveryCounters counters = new DeliveryCounters();
    private final LongAdder sentInWindow = new LongAdder();
    /** Fixed rate: each publisher's next intended send time (written by its event loop). */
    private final List<AtomicLong> schedules = new CopyOnWriteArrayList<>();

    private final LongAdder sentAll = new LongAdder();
    private final LongAdder gaps = new LongAdder();
    private final LongAdder reorders = new LongAdder();
    private final AtomicInteger lost = new AtomicInteger();
    private final AtomicInteger serverCloses = new AtomicInteger();
    private volatile boolean running = true;
    private volatile boolean sending;
    private volatile long windowStart = Long.MAX_VALUE;
    private volatile long windowEnd = Long.MAX_VALUE;
    /** For the progress lines: totals at the previous line (reporting thread only). */
    private long lastDelivered;

    private long lastSent;

    LoadRun(LoadOptions options) {
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

    /** Opens this thread's batch for what one read brought; close it after the read. */
    DeliveryCounters.Batch openBatch() {
        return counters.open();
    }

    /** A delivery read at {@code readAt} (one clock read per read, {@link #nowNanos()}). */
    void delivered(DeliveryCounters.Batch batch, long readAt, long sentAt) {
        boolean counted = sentAt >= windowStart && sentAt < windowEnd;
        batch.delivered(counted, counted ? Math.max(0, readAt - sentAt) : 0);
    }

    String channelName() {
        return o.channel();
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
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(
                o.threads(), Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
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
        IdleHold hold = holdIdle(subs.size() + pubs.size(), server, beforeConnect);
        sending = true;
        long start = nowNanos();
        List<ScheduledFuture<?>> tickers = startPublishing(pubs, start);
        warmUp(subs, pubs.size(), start);
        Window window = measure(group, subs.size() + pubs.size(), start, server);
        awaitSchedulesPast(windowEnd);
        sending = false;
        tickers.forEach(t -> t.cancel(false));
        // A send in progress on a publisher's event loop counts itself after its write: once a task
        // queued behind it has run, the count of sends is final.
        for (BenchConnection p : pubs) {
            p.channel().eventLoop().submit(() -> {}).await(5, TimeUnit.SECONDS);
        }
        long expected = sentInWindow.sum() * subs.size();
        drain(expected);
        total.add(counters.intervalLatency());
        double seconds = o.duration().toNanos() / 1e9;
        long delivered = counters.inWindow();
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
                window.serverCpuPercent(),
                window.serverRss(),
                window.selfCpuNanos() / 1e9 / seconds * 100,
                hold.rssPerConnection(),
                window.wireBytes() / seconds,
                hold.serverCpuPercent());
    }

    /** The server's CPU with every connection open and nothing published, and its RSS growth per connection. */
    private record IdleHold(double serverCpuPercent, long rssPerConnection) {}

    /**
     * With {@code --idle-hold}: every connection open, nothing sent but the server's heartbeats (and
     * our pongs), for that long; the server's CPU over the hold and its RSS growth since before connecting.
     */
    private IdleHold holdIdle(int connections, ProcessStats server, ProcessStats.Sample beforeConnect)
            throws InterruptedException {
        if (o.idleHold().isZero() || server == null) {
            return new IdleHold(Double.NaN, -1);
        }
        ProcessStats.Sample start = server.sample();
        long holdEnd = nowNanos() + o.idleHold().toNanos();
        while (nowNanos() < holdEnd) {
            TimeUnit.MILLISECONDS.sleep(Math.max(1, Math.min(5000, (holdEnd - nowNanos()) / 1_000_000)));
            progress(
                    "idle hold: %d connections open, %d dropped, server RSS %d MiB",
                    connections - lost.get() - serverCloses.get(),
                    lost.get() + serverCloses.get(),
                    server.sample().rssBytes() >> 20);
        }
        ProcessStats.Sample end = server.sample();
        IdleHold hold = new IdleHold(
                end.cpuPercentSince(start), (end.rssBytes() - beforeConnect.rssBytes()) / Math.max(1, connections));
        progress(
                "idle hold: server CPU %.1f%% over %ds with %d connections; RSS growth %.2f KiB per connection",
                hold.serverCpuPercent(), o.idleHold().toSeconds(), connections, hold.rssPerConnection() / 1024.0);
        return hold;
    }

    /**
     * Fixed rate: a loaded machine may run a ticker late; every message meant for the window is
     * sent (and counted) before sending stops, so a run sends rate x duration messages. Bounded.
     */
    private void awaitSchedulesPast(long end) throws InterruptedException {
        long giveUpAt = nowNanos() + 5_000_000_000L;
        for (AtomicLong nextAt : schedules) {
            while (nextAt.get() < end && nowNanos() < giveUpAt) {
                TimeUnit.MILLISECONDS.sleep(1);
            }
        }
    }

    /**
     * Max rate: each publisher keeps its window of messages in flight. Fixed rate: a 1 ms ticker
     * per publisher sends at the intended times, so a stall shows as latency (no coordinated
     * omission); the rate ramps from 10% to 100% over the warm-up, so both JITs warm up before the
     * full load can overflow anybody's queue.
     */
    private List<ScheduledFuture<?>> startPublishing(List<BenchConnection> pubs, long start) {
        List<ScheduledFuture<?>> tickers = new ArrayList<>();
        if (maxRate()) {
            pubs.forEach(p -> p.channel().eventLoop().execute(() -> p.startWindow(o.window())));
            return tickers;
        }
        double perPublisher = (double) o.rate() / pubs.size();
        long warmupNanos = o.warmup().toNanos();
        for (BenchConnection p : pubs) {
            AtomicLong nextAt = new AtomicLong(start);
            schedules.add(nextAt);
            Runnable tick = () -> {
                if (!sending) {
                    return;
                }
                long now = nowNanos();
                long at = nextAt.get();
                while (at <= now) {
                    p.sendOne(at);
                    long elapsed = at - start;
                    double share = elapsed >= warmupNanos ? 1.0 : 0.1 + 0.9 * elapsed / (double) warmupNanos;
                    at += (long) (1e9 / (perPublisher * share));
                }
                nextAt.set(at);
                p.flush();
            };
            tickers.add(p.channel().eventLoop().scheduleAtFixedRate(tick, 0, 1, TimeUnit.MILLISECONDS));
        }
        return tickers;
    }

    /**
     * The warm-up, and on until every subscriber has received something: a server may confirm the
     * handshake before it has attached the connection to the channel.
     */
    private void warmUp(List<BenchConnection> subs, int publishers, long start) throws InterruptedException {
        long warmupEnd = start + o.warmup().toNanos();
        while (nowNanos() < warmupEnd || !subs.stream().allMatch(c -> c.received)) {
            if (nowNanos() > warmupEnd + 30_000_000_000L) {
                long silent = subs.stream().filter(c -> !c.received).count();
                throw new IllegalStateException(silent + " subscribers received nothing in 30 s after warm-up");
            }
            TimeUnit.MILLISECONDS.sleep(Math.max(1, Math.min(1000, (warmupEnd - nowNanos()) / 1_000_000)));
            long d = counters.all();
            long s = sentAll.sum();
            progress(
                    "warm-up t=%5.1fs conns=%d sent=%d delivered=%d",
                    (nowNanos() - start) / 1e9, subs.size() + publishers - lost.get(), s, d);
            lastDelivered = d;
            lastSent = s;
        }
    }

    /** What the measurement window cost: the server's CPU and memory, the generator's CPU, bytes read. */
    private record Window(double serverCpuPercent, long serverRss, long selfCpuNanos, long wireBytes) {}

    /** The measurement window, with a progress line a second (and the churn, if asked for). */
    private Window measure(EventLoopGroup group, int connections, long start, ProcessStats server)
            throws InterruptedException {
        ProcessStats.Sample serverAtStart = server == null ? null : server.sample();
        long selfCpuAtStart = selfCpuNanos();
        long wireAtStart = counters.wireBytes();
        windowStart = nowNanos();
        windowEnd = windowStart + o.duration().toNanos();
        counters.intervalLatency(); // nothing recorded yet; resets the interval
        Churn churn = o.churnPerSecond() > 0 ? new Churn(this, o, group) : null;
        while (nowNanos() < windowEnd) {
            if (churn != null) {
                churn.tick();
            }
            long next = Math.min(windowEnd, nowNanos() + 1_000_000_000L);
            TimeUnit.NANOSECONDS.sleep(Math.max(0, next - nowNanos()));
            Histogram interval = counters.intervalLatency();
            total.add(interval);
            long d = counters.all();
            long s = sentAll.sum();
            progress(
                    "measure t=%5.1fs conns=%d sent=%d (%d/s) delivered/s=%,d p99=%s",
                    (nowNanos() - start) / 1e9,
                    connections - lost.get(),
                    s,
                    s - lastSent,
                    d - lastDelivered,
                    interval.getTotalCount() == 0 ? "-" : ms(interval.getValueAtPercentile(99)));
            lastDelivered = d;
            lastSent = s;
        }
        ProcessStats.Sample serverAtEnd = server == null ? null : server.sample();
        if (churn != null) {
            progress(
                    "churn: %d connections opened and closed during the measurement, %d failed",
                    churn.done.get(), churn.failed.get());
        }
        return new Window(
                serverAtStart == null ? Double.NaN : serverAtEnd.cpuPercentSince(serverAtStart),
                serverAtEnd == null ? -1 : serverAtEnd.rssBytes(),
                selfCpuNanos() - selfCpuAtStart,
                counters.wireBytes() - wireAtStart);
    }

    /** Waits until every message sent in the window is delivered, or deliveries stop for 2 s. */
    private void drain(long expected) throws InterruptedException {
        long stableSince = System.nanoTime();
        long seen = -1;
        while (counters.inWindow() < expected && System.nanoTime() - stableSince < 2_000_000_000L) {
            TimeUnit.MILLISECONDS.sleep(50);
            long now = counters.inWindow();
            if (now != seen) {
                seen = now;
                stableSince = System.nanoTime();
            }
        }
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
                0,
                server == null ? Double.NaN : end.cpuPercentSince(start));
    }

    /** Connects {@code conn} to {@code url}; its {@code ready} future fails if the connect does. */
    static void bootstrap(EventLoopGroup group, BenchConnection conn, URI url) {
        bootstrap(group, conn, url, null);
    }

    /** As {@link #bootstrap(EventLoopGroup, BenchConnection, URI)}, from {@code local} (any port) when not null. */
    static void bootstrap(EventLoopGroup group, BenchConnection conn, URI url, InetAddress local) {
        int port = url.getPort() > 0 ? url.getPort() : 80;
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(conn);
        InetSocketAddress remote = new InetSocketAddress(url.getHost(), port);
        (local == null ? b.connect(remote) : b.connect(remote, new InetSocketAddress(local, 0))).addListener(done -> {
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
            bootstrap(
                    group,
                    conn,
                    url,
                    o.bind().isEmpty() ? null : o.bind().get(i % o.bind().size()));
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
