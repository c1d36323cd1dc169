package io.reactivehub.core;

/**
 * Receives a channel's messages synchronously, on the thread that emits them, one at a time per
 * channel and in channel order. Implementations must be quick and must not block: enqueue and
 * return (see {@link DeliveryQueue}). A listener that throws is detached and the error logged.
 */
@FunctionalInterface
public interface ChannelListener {
    void onMessage(Message message);

    /** The channel will deliver nothing more to this listener (the hub closed). */
    default void onClose() {
    }
}
