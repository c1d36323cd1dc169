package io.reactivehub.bench;

import io.netty.util.concurrent.FastThreadLocal;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.WriterReaderPhaser;

/**
 * What the subscribers received, counted per event-loop thread and summed by the reporting thread.
 * A subscriber reads as soon as bytes arrive and counts what one read brought as one batch: one
 * clock read, plain increments and plain histogram records per message, and one publication (two
 * uncontended atomic operations) per read. So the generator spends little CPU per delivery and the
 * server, not the generator, is what a fan-out run measures. Every delivery's latency is recorded,
 * measured at the read that brought it.
 */
final class DeliveryCounters {
    private final List<Batch> all = new CopyOnWriteArrayList<>();
    private final FastThreadLocal<Batch> perThread = new FastThreadLocal<>() {
        @Override
        protected Batch initialValue() {
            Batch b = new Batch();
            all.add(b);
            return b;
        }
    };

    /** This thread's batch, opened: record the read's deliveries into it, then {@link Batch#close()}. */
    Batch open() {
        Batch b = perThread.get();
        b.open();
        return b;
    }

    long all() {
        long sum = 0;
        for (Batch b : all) {
            sum += b.all;
        }
        return sum;
    }

    long inWindow() {
        long sum = 0;
        for (Batch b : all) {
            sum += b.inWindow;
        }
        return sum;
    }

    long wireBytes() {
        long sum = 0;
        for (Batch b : all) {
            sum += b.wire;
        }
        return sum;
    }

    /** Latency recorded since the last call, over all threads. */
    Histogram intervalLatency() {
        Histogram interval = new Histogram(3);
        for (Batch b : all) {
            b.drainInto(interval);
        }
        return interval;
    }

    /**
     * One thread's counters: written by that thread only (between {@link #open()} and {@link
     * #close()}), read by the reporting thread. The histograms are swapped under a {@link
     * WriterReaderPhaser}, as HdrHistogram's recorders do, but once per read instead of once per value.
     */
    static final class Batch implements AutoCloseable {
        private static final AtomicLongFieldUpdater<Batch> ALL = AtomicLongFieldUpdater.newUpdater(Batch.class, "all");
        private static final AtomicLongFieldUpdater<Batch> IN_WINDOW =
                AtomicLongFieldUpdater.newUpdater(Batch.class, "inWindow");
        private static final AtomicLongFieldUpdater<Batch> WIRE =
                AtomicLongFieldUpdater.newUpdater(Batch.class, "wire");
        private final WriterReaderPhaser phaser = new WriterReaderPhaser();
        private volatile Histogram active = new Histogram(3);
        private Histogram inactive = new Histogram(3);
        volatile long all;
        volatile long inWindow;
        volatile long wire;
        // the open batch (writer thread only)
        private long phase;
        private Histogram recording;
        private long pendingAll;
        private long pendingInWindow;
        private long pendingWire;

        private void open() {
            phase = phaser.writerCriticalSectionEnter();
            recording = active;
        }

        void wire(int bytes) {
            pendingWire += bytes;
        }

        /** A delivery; {@code counted} when its message was sent inside the measurement window. */
        void delivered(boolean counted, long latencyNanos) {
            pendingAll++;
            if (counted) {
                pendingInWindow++;
                recording.recordValue(latencyNanos);
            }
        }

        @Override
        public void close() {
            if (pendingAll != 0) {
                ALL.lazySet(this, all + pendingAll);
                pendingAll = 0;
            }
            if (pendingInWindow != 0) {
                IN_WINDOW.lazySet(this, inWindow + pendingInWindow);
                pendingInWindow = 0;
            }
            if (pendingWire != 0) {
                WIRE.lazySet(this, wire + pendingWire);
                pendingWire = 0;
            }
            recording = null;
            phaser.writerCriticalSectionExit(phase);
        }

        /** Reporting thread: swaps the histograms and adds what was recorded to {@code into}. */
        private void drainInto(Histogram into) {
            phaser.readerLock();
            try {
                inactive.reset();
                Histogram full = active;
                active = inactive;
                inactive = full;
                phaser.flipPhase();
                into.add(full);
            } finally {
                phaser.readerUnlock();
            }
        }
    }
}
