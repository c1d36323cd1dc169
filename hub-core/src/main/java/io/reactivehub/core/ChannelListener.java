package io.reactivehub.core;

/**
 * Receives a channel's messages synchronously, on the thread that emits them, one at a time per
 * channel and in channel order. Implementations must be quick and must not block: enqueue and
 * return (as the hub's own bounded per-subscriber queue does). A listener that throws is detached and the error logged.
 */
@FunctionalInterface
public interface ChannelListener {
    void onMessage(Message message);

    /**
     * With {@link Hub#attach(ChannelName, ChannelListener, StreamPosition)}: how the subscription
     * started, called once before the first message (and before any recovered one) and before
     * any {@link #onInterrupted()}; presence events are not held back and may come first.
     */
    default void onSubscribed(SubscribeResult result) {}

    /** A client joined or left the channel (channels with join-leave on); ignored by default. */
    default void onPresence(PresenceEvent event) {}

    /**
     * This node lost messages of the channel (its link to the broker was interrupted, or the
     * channel's history was reset): what follows is not contiguous with what came before. A client
     * that needs every message should resubscribe with recovery.
     */
    default void onInterrupted() {}

    /** The channel will deliver nothing more to this listener (the hub closed). */
    default void onClose() {}
}
