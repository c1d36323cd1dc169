package io.reactivehub.core;

import java.util.Objects;

/**
 * Hub-wide options.
 *
 * @param queueLimits default bounds and policy of each subscriber's queue ({@link QueueLimits#DEFAULT})
 */
public record HubOptions(QueueLimits queueLimits) {
    public static final HubOptions DEFAULT = new HubOptions(QueueLimits.DEFAULT);

    public HubOptions {
        Objects.requireNonNull(queueLimits, "queueLimits");
    }
}
