package io.reactivehub.core.broker;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelOptions;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HistoryResult;
import io.reactivehub.core.HubException;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.PublishResult;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Where a hub's messages travel between publishers and the node's channels: the in-process
 * {@link LocalBroker} (one node), or {@code RedisBroker} (many nodes sharing channels).
 *
 * <p><b>Guarantees.</b> A broker numbers each channel's messages (offset and epoch) and keeps
 * their history. It hands every message of a channel this node subscribes to back to the hub
 * through its {@link BrokerListener}, at most once, one at a time per channel and in offset
 * order. Join and leave announcements travel the same way, in line with the messages. When it
 * cannot promise that (messages were lost on the way), it says so with
 * {@link BrokerListener#onInterrupted} instead of delivering a gap silently.
 *
 * <p><b>Calls.</b> The hub calls {@link #subscribe} when a channel gets its first local subscriber
 * and {@link #unsubscribe} when its last one leaves, in that order per channel; a broker delivers
 * only channels it is subscribed to. No method blocks. {@link #subscribe} and {@link #unsubscribe}
 * act when called (the Mono reports the confirmation); the other methods act when their Mono is
 * subscribed.
 */
public interface Broker extends Disposable {

    /** Where this broker hands messages to the hub; called once, before anything else. */
    void start(BrokerListener listener);

    /**
     * Publishes; completes with the message's offset once it is numbered (and stored), errors with
     * {@link HubException} ({@link ErrorCode#UNAVAILABLE} when the broker cannot be reached).
     */
    Mono<PublishResult> publish(ChannelName channel, byte[] payload, PayloadType type, ChannelOptions options);

    /** Announces a join or leave to every node subscribed to the channel (not numbered, not kept). */
    Mono<Void> announce(ChannelName channel, PresenceEvent event);

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

    /**
     * The presence manager that goes with this broker, called once by the hub that starts it; the
     * hub disposes it before the broker. By default presence stays in this process
     * ({@link LocalPresenceManager}).
     */
    default PresenceManager presenceManager() {
        return new LocalPresenceManager();
    }

    /**
     * The occupancy tracker that goes with this broker, called once by the hub that starts it; the
     * hub disposes it before the broker. By default occupancy is this process's
     * ({@link LocalOccupancyTracker}).
     */
    default OccupancyTracker occupancyTracker() {
        return new LocalOccupancyTracker();
    }

    /**
     * The node bus that goes with this broker, called once by the hub that starts it; the hub
     * disposes it before the broker. By default this node alone ({@link LocalNodeBus}).
     *
     * @param nodeId this node's id, as its {@link #occupancyTracker()} names it: one id per node
     */
    default NodeBus nodeBus(String nodeId) {
        return new LocalNodeBus(nodeId);
    }

    /**
     * Whether the broker can carry messages now, as far as it knows without asking: false while
     * its connection to an external system is down (publishes then fail with
     * {@link io.reactivehub.core.ErrorCode#UNAVAILABLE}) and once disposed. True by default (an
     * in-process broker is always there).
     */
    default boolean isAvailable() {
        return true;
    }
}
