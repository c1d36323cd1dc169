package io.reactivehub.server.session;

import io.reactivehub.server.config.ConnectionLimits;

/**
 * One connection's token bucket (publishes, or its other commands): {@code rate} tokens per
 * second, at most {@code burst} saved up. Used on the connection's event loop only; not thread-safe.
 */
final class PublishBudget {
    private final double ratePerNano;
    private final double burst;
    private double tokens;
    private long last = System.nanoTime();
    private int refusedInARow;

    PublishBudget(int ratePerSecond, int burst) {
        this.ratePerNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
    }

    /** Takes a token if there is one; counts consecutive refusals otherwise. */
    boolean tryTake() {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - last) * ratePerNano);
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            refusedInARow = 0;
            return true;
        }
        refusedInARow++;
        return false;
    }

    /** Whether the client kept publishing into a refusing limit long enough to be called abusive. */
    boolean abusive() {
        return refusedInARow >= ConnectionLimits.ABUSE_THRESHOLD;
    }
}
