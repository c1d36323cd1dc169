package io.reactivehub.server.session;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * How many log lines about one connection's misbehaviour may be written: at most {@code lines}
 * per {@code window}; the first line over it is replaced by one "further messages suppressed"
 * note, the rest by nothing, until the window ends. Thread-safe (refusals are logged from the
 * event loop and from the broker's threads).
 */
final class LogBudget {
    /** Lines about one connection's misbehaviour per minute. */
    static final int LINES_PER_MINUTE = 10;

    /** What may be written now. */
    enum Verdict {
        /** Write the line. */
        LOG,
        /** Write that further lines are suppressed, instead of the line. */
        SUPPRESS_NOTICE,
        /** Write nothing. */
        SUPPRESSED
    }

    private final int lines;
    private final long windowNanos;
    private final LongSupplier nanoClock;
    private long windowStart;
    private int used;

    LogBudget() {
        this(LINES_PER_MINUTE, Duration.ofMinutes(1), System::nanoTime);
    }

    LogBudget(int lines, Duration window, LongSupplier nanoClock) {
        this.lines = lines;
        this.windowNanos = window.toNanos();
        this.nanoClock = nanoClock;
        this.windowStart = nanoClock.getAsLong();
    }

    synchronized Verdict take() {
        long now = nanoClock.getAsLong();
        if (now - windowStart >= windowNanos) {
            windowStart = now;
            used = 0;
        }
        if (used < lines) {
            used++;
            return Verdict.LOG;
        }
        if (used == lines) {
            used++;
            return Verdict.SUPPRESS_NOTICE;
        }
        return Verdict.SUPPRESSED;
    }
}
