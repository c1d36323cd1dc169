package io.reactivehub.core;

import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Where a hub's messages travel between publishers and the node's channels: the in-process
 * {@link LocalBroker} (one node), or {@code RedisBroker} (many nodes sharing channels). A broker
 * numbers each channel's messages (offset and epoch), keeps their history, tracks presence, and
 * hands every message of a channel this node subscribes to back to the hub through its
 * {@link Delivery}, one channel's messages one at a time and in offset order.
 *
 * <p>The hub calls {@link #subscribe} when a channel gets its first local subscriber and
 * {@link #unsubscribe} when its last one leaves, in that order per channel; a broker delivers only
 * channels it is subscribed to. No method may block.
 */
public interface Broker extends Disposable {

    /** Where a broker hands messages to the hub; called once, before anything else. */
    void start(Delivery delivery);

    /** Publishes; completes with the message's offset once it is numbered (and stored), errors with
     * {@link HubException} ({@link ErrorCode#UNAVAILABLE} when the broker cannot be reached). */
    Mono<PublishResult> publish(ChannelName channel, byte[] payload, PayloadType type, ChannelOptions options);

    /** Starts delivering a channel; completes once every message published after it is delivered. */
    Mono<Void> subscribe(ChannelName channel, ChannelOptions options);

    /** Stops delivering a channel. */
    void unsubscribe(ChannelName channel);

    /**
     * Reads history: with {@code since} the messages after that offset (oldest first, at most
     * {@code limit}), without it the latest {@code limit} messages (oldest first). Also returns the
     * channel's top position, creating its epoch if it has none yet.
     */
    Mono<HistoryResult> history(ChannelName channel, @Nullable Long since, int limit, ChannelOptions options);

    /** Adds a client to the channel's presence (and announces it with join-leave on). */
    Mono<Void> join(ChannelName channel, ClientInfo client, ChannelOptions options);

    /** Removes a client from the channel's presence (and announces it with join-leave on). */
    Mono<Void> leave(ChannelName channel, ClientInfo client, ChannelOptions options);

    /** Who is in the channel, across every node. */
    Mono<List<ClientInfo>> presence(ChannelName channel);

    /** The hub's side of a broker. */
    interface Delivery {
        /**
         * A message of a subscribed channel; one at a time per channel, in offset order.
         *
         * @return how many local subscribers it was handed to
         */
        int deliver(Message message);

        /** A presence event of a subscribed channel. */
        void presence(ChannelName channel, PresenceEvent event);

        /** Messages of the channel were lost on their way to this node (see {@link ChannelListener#onInterrupted()}). */
        void interrupted(ChannelName channel);

        /** How many local subscribers the channel has now. */
        int subscribers(ChannelName channel);
    }
}
