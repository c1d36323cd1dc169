package io.reactivehub.core;

import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Receives a channel's messages one at a time per channel and in channel order: by default
 * synchronously, on the thread that emits them; a listener that names an {@link #executor()} is
 * called on that executor instead. Implementations must be quick and must not block: enqueue (or
 * write) and return. A listener that throws is detached and the error logged.
 */
@FunctionalInterface
public interface ChannelListener {
    /**
     * Items of one channel that may wait for one {@link #executor()} before they are dropped, at
     * least (the hub's default {@link QueueLimits#maxMessages()} if larger).
     */
    int EXECUTOR_BACKLOG = 16_384;

    void onMessage(Message message);

    /**
     * Where this listener wants its calls: null (the default) for synchronously on the emitting
     * thread. A server returns its connection's event loop: the listeners of one channel that name
     * the same executor share one hand-off to it per burst of messages (one task runs every
     * listener of the group, then {@link #onBurstEnd()} for each), instead of one per listener.
     *
     * <p>Read once, when the listener is attached. With an executor, {@link #onMessage},
     * {@link #onPresence}, {@link #onInterrupted} and {@link #onClose} run on it, except what a
     * recovering attach replays (see {@link #onBurstEnd()}). If the executor falls more than
     * {@link #EXECUTOR_BACKLOG} items behind a channel (or the hub's default
     * {@link QueueLimits#maxMessages()}, if larger), the items past that are dropped for its
     * listeners and an {@link #onInterrupted()} stands in their place: memory stays bounded and
     * nothing is lost silently.
     */
    default @Nullable Executor executor() {
        return null;
    }

    /**
     * After a run of calls delivered together (one burst), on the same thread: on the
     * {@link #executor()} after each of its tasks, and after the replay of a recovering
     * {@link Hub#attach(ChannelName, ChannelListener, StreamPosition)} on the thread that read the
     * history. Lets a listener that writes to a socket flush once per burst. Nothing by default.
     */
    default void onBurstEnd() {}

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
