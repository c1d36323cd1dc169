package io.reactivehub.bench;

import java.io.PrintStream;
import java.util.List;

/** The soak's summary below its table: the load it ran, each series' trend, and the verdict. */
final class SoakReport {
    private SoakReport() {}

    /** Flat, nothing lost or out of order in the fan-out, and the slow consumers were dropped. */
    static boolean passed(SoakRun.Result r) {
        LoadResult f = r.fanout();
        return r.flat()
                && f.delivered() > 0
                && f.lost() == 0
                && f.gaps() == 0
                && f.reordered() == 0
                && (r.slowConnects() == 0 || r.slowConsumerCloses() > 0);
    }

    static void print(SoakRun.Result r, PrintStream out) {
        out.print(LoadResult.table(List.of(r.fanout())));
        out.printf(
                "slow consumers: %d connected, %d closed by the server with 4001 (hub_slow_consumer_disconnects)%n",
                r.slowConnects(), r.slowConsumerCloses());
        out.printf("subscribe/unsubscribe storm: %d replies, %d errors%n", r.stormOps(), r.stormErrors());
        r.verdicts().forEach(out::println);
        out.println("verdict: " + (r.flat() ? "flat" : "growing") + (passed(r) ? "" : " (FAILED)"));
    }
}
