package io.reactivehub.core;

/**
 * What a subscriber's queue does when it is full (too many messages or too many
 * bytes waiting). Either way the publisher and every other subscriber carry on undelayed.
 */
public enum SlowConsumerPolicy {
    /**
     * The default: the queue is discarded and the subscriber terminated with a
     * {@link SlowConsumerException} (the server closes the connection with code 4001). Whatever
     * a subscriber receives is then complete and in order, up to the cut.
     */
    DISCONNECT,
    /**
     * The oldest waiting messages are dropped, and counted, until the queue fits its limits again.
     * The subscriber stays connected and sees a gap (visible in the per-channel offsets).
     */
    DROP_OLDEST
}
