package io.reactivehub.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One load run: connect subscribers and publishers, warm up, measure, drain, report. Latency is
 * recorded for every delivery of a message sent inside the measurement window, from the
 * timestamp in the payload; loss is what those messages should have reached and did not.
 */
final class LoadRun {
    record Options(URI url, int subscribers, int publishers, int rate, int size, Duration warmup, Duration duration,
                   int window, int connectConcurrency, int threads, int serverPid, String label) {
    }

    private final Options o;
    private final long epoch = System.nanoTime();
    private final Recorder latency = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private final LongAdder deliveredInWindow = new LongAdder();
    private final LongAdder deliveredAll = new LongAdder();
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
        deliveredAll.increment();
        if (sentAt >= windowStart && sentAt < windowEnd) {
            deliveredInWindow.increment();
            latency.recordValue(Math.max(0, nowNanos() - sentAt));
        }
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
        long t0 = System.nanoTime();
        List<BenchConnection> subs = connect(group, o.subscribers(), false);
        double connectSeconds = (System.nanoTime() - t0) / 1e9;
        int connectFailures = o.subscribers() - subs.size();
        List<BenchConnection> pubs = connect(group, o.publishers(), true);
        connectFailures += o.publishers() - pubs.size();
        progress("connected %d/%d subscribers and %d/%d publishers in %.2fs (%.0f/s)", subs.size(), o.subscribers(),
                pubs.size(), o.publishers(), connectSeconds, subs.size() / Math.max(connectSeconds, 1e-9));
        if (pubs.isEmpty()) {
            throw new IllegalStateException("no publisher could connect to " + o.url());
        }
        ProcessStats server = o.serverPid() > 0 ? new ProcessStats(o.serverPid()) : null;

        sending = true;
        long start = nowNanos();
        List<io.netty.util.concurrent.ScheduledFuture<?>> tickers = new ArrayList<>();
        if (maxRate()) {
            pubs.forEach(p -> p.channel().eventLoop().execute(() -> p.startWindow(o.window())));
        } else {
            double perPublisher = (double) o.rate() / pubs.size();
            for (BenchConnection p : pubs) {
                tickers.add(p.channel().eventLoop().scheduleAtFixedRate(() -> {
                    if (!sending) {
                        return;
                    }
                    long now = nowNanos();
                    long due = (long) ((now - start) / 1e9 * perPublisher);
                    while (p.sentCount() < due) {
                        p.sendOne(start + (long) (p.sentCount() * 1e9 / perPublisher));
                    }
                    p.flush();
                }, 0, 1, TimeUnit.MILLISECONDS));
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
            long d = deliveredAll.sum();
            long s = sentAll.sum();
            progress("warm-up t=%5.1fs conns=%d sent=%d delivered=%d", (nowNanos() - start) / 1e9,
                    subs.size() + pubs.size() - lost.get(), s, d);
            lastDelivered = d;
            lastSent = s;
        }
        ProcessStats.Sample serverAtStart = server == null ? null : server.sample();
        long selfCpuAtStart = selfCpuNanos();
        windowStart = nowNanos();
        windowEnd = windowStart + o.duration().toNanos();
        latency.getIntervalHistogram(); // nothing recorded yet; resets the interval
        long endAt = windowEnd;
        while (nowNanos() < endAt) {
            long next = Math.min(endAt, nowNanos() + 1_000_000_000L);
            TimeUnit.NANOSECONDS.sleep(Math.max(0, next - nowNanos()));
            Histogram interval = latency.getIntervalHistogram();
            total.add(interval);
            long d = deliveredAll.sum();
            long s = sentAll.sum();
            progress("measure t=%5.1fs conns=%d sent=%d (%d/s) delivered/s=%,d p99=%s",
                    (nowNanos() - start) / 1e9, subs.size() + pubs.size() - lost.get(), s, s - lastSent,
                    d - lastDelivered, interval.getTotalCount() == 0 ? "-" : ms(interval.getValueAtPercentile(99)));
            lastDelivered = d;
            lastSent = s;
        }
        ProcessStats.Sample serverAtEnd = server == null ? null : server.sample();
        long selfCpuAtEnd = selfCpuNanos();
        sending = false;
        tickers.forEach(t -> t.cancel(false));
        // Drain: wait until every message sent in the window is delivered, or deliveries stop.
        long expected = sentInWindow.sum() * subs.size();
        long stableSince = System.nanoTime();
        long seen = -1;
        while (deliveredInWindow.sum() < expected && System.nanoTime() - stableSince < 2_000_000_000L) {
            TimeUnit.MILLISECONDS.sleep(50);
            long now = deliveredInWindow.sum();
            if (now != seen) {
                seen = now;
                stableSince = System.nanoTime();
            }
        }
        total.add(latency.getIntervalHistogram());
        double seconds = o.duration().toNanos() / 1e9;
        long delivered = deliveredInWindow.sum();
        double serverCpu = serverAtStart == null ? Double.NaN : serverAtEnd.cpuPercentSince(serverAtStart);
        long serverRss = serverAtEnd == null ? -1 : serverAtEnd.rssBytes();
        double selfCpu = (selfCpuAtEnd - selfCpuAtStart) / 1e9 / seconds * 100;
        pubs.forEach(p -> p.channel().close());
        subs.forEach(s -> s.channel().close());
        return new LoadResult(o.label(), o.url().toString(), o.subscribers(), o.publishers(), o.rate(), o.size(),
                seconds, subs.size() + pubs.size(), connectFailures, connectSeconds, sentInWindow.sum(), expected,
                delivered, delivered / seconds, Math.max(0, expected - delivered), gaps.sum(), reorders.sum(),
                lost.get() + serverCloses.get(), total, serverCpu, serverRss, selfCpu);
    }

    private List<BenchConnection> connect(EventLoopGroup group, int count, boolean publisher) throws InterruptedException {
        URI url = o.url();
        int port = url.getPort() > 0 ? url.getPort() : 80;
        Semaphore permits = new Semaphore(o.connectConcurrency());
        List<CompletableFuture<BenchConnection>> all = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            permits.acquire();
            BenchConnection conn = new BenchConnection(this, url, publisher, i, o.publishers(), 64 * 1024 * 1024);
            Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536), conn);
                        }
                    });
            ChannelFuture f = b.connect(url.getHost(), port);
            f.addListener(done -> {
                if (!done.isSuccess()) {
                    conn.ready.completeExceptionally(done.cause());
                }
            });
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
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static String ms(long nanos) {
        return String.format("%.3fms", nanos / 1e6);
    }

    private static void progress(String format, Object... args) {
        System.err.println(String.format(format, args));
    }
}
