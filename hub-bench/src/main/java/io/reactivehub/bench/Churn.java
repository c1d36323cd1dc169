package io.reactivehub.bench;

import io.netty.channel.EventLoopGroup;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The churn preset's connect/disconnect storm: opens connections at a steady rate during the
 * measurement and closes each once it is open. Ticked by the reporting thread.
 */
final class Churn {
    private final LoadRun run;
    private final LoadOptions o;
    private final EventLoopGroup group;
    private final long startNanos = System.nanoTime();
    private long opened;
    final AtomicInteger done = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();

    Churn(LoadRun run, LoadOptions options, EventLoopGroup group) {
        this.run = run;
        this.o = options;
        this.group = group;
    }

    /** Opens the connections due by now. */
    void tick() {
        long due = (long) ((System.nanoTime() - startNanos) / 1e9 * o.churnPerSecond());
        for (; opened < due; opened++) {
            BenchConnection conn =
                    new BenchConnection(run, o.url(), false, -1, o.publishers(), o.hubProtocol(), o.deflate());
            conn.churner = true;
            LoadRun.bootstrap(group, conn, o.url());
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
