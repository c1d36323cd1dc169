package io.reactivehub.bench;

import io.netty.util.concurrent.FastThreadLocal;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * What the subscribers received, counted per event-loop thread (each thread writes only its own
 * counters, with lazy sets: no contended cache line) and summed by the reporting thread.
 */
final class DeliveryCounters {
    private final List<Counters> all = new CopyOnWriteArrayList<>();
    private final FastThreadLocal<Counters> perThread = new FastThreadLocal<>() {
        @Override
        protected Counters initialValue() {
            Counters c = new Counters();
            all.add(c);
            return c;
        }
    };

    /** A delivery on this thread; {@code counted} when its message was sent inside the window. */
    void delivered(boolean counted, long latencyNanos) {
        perThread.get().delivered(counted, latencyNanos);
    }

    /** Frame bytes read on this thread. */
    void wire(int bytes) {
        perThread.get().wire(bytes);
    }

    long all() {
        long sum = 0;
        for (Counters c : all) {
            sum += c.all;
        }
        return sum;
    }

    long inWindow() {
        long sum = 0;
        for (Counters c : all) {
            sum += c.inWindow;
        }
        return sum;
    }

    long wireBytes() {
        long sum = 0;
        for (Counters c : all) {
            sum += c.wire;
        }
        return sum;
    }

    /** Latency recorded since the last call, over all threads. */
    Histogram intervalLatency() {
        Histogram interval = new Histogram(3);
        for (Counters c : all) {
            interval.add(c.latency.getIntervalHistogram());
        }
        return interval;
    }

    /** One thread's counters: written by that thread only, read by the reporting thread. */
    private static final class Counters {
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
}
