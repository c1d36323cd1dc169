package io.reactivehub.core;

import java.util.Objects;

/**
 * Bounds of one subscriber's queue and what happens past them.
 *
 * @param maxMessages most messages waiting for the subscriber ({@value #DEFAULT_MAX_MESSAGES} by default)
 * @param maxBytes    most payload bytes waiting ({@value #DEFAULT_MAX_BYTES} by default)
 * @param policy      what overflow does ({@link SlowConsumerPolicy#DISCONNECT} by default)
 */
public record QueueLimits(int maxMessages, long maxBytes, SlowConsumerPolicy policy) {
    public static final int DEFAULT_MAX_MESSAGES = 1024;
    public static final long DEFAULT_MAX_BYTES = 1024 * 1024;
    public static final QueueLimits DEFAULT =
            new QueueLimits(DEFAULT_MAX_MESSAGES, DEFAULT_MAX_BYTES, SlowConsumerPolicy.DISCONNECT);

    public QueueLimits {
        if (maxMessages < 1) {
            throw new IllegalArgumentException("maxMessages must be at least 1, was " + maxMessages);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be at least 1, was " + maxBytes);
        }
        Objects.requireNonNull(policy, "policy");
    }

    public QueueLimits withPolicy(SlowConsumerPolicy newPolicy) {
        return new QueueLimits(maxMessages, maxBytes, newPolicy);
    }
}
