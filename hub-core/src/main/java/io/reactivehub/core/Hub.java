package io.reactivehub.core;

import io.reactivehub.core.internal.LocalHub;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The hub: named channels that fan every published message out to all their subscribers.
 *
 * <p><b>Thread-safety.</b> All methods may be called from any thread. Publishing is lock-free:
 * concurrent publishers into one channel are serialized by a queue that the first of them drains,
 * so no message is lost to contention and no thread spins.
 *
 * <p><b>Ordering.</b> The broker numbers each channel's messages 1, 2, 3, ... within an epoch
 * ({@link Message#offset()}, {@link Message#epoch()}); every subscriber sees a channel's messages
 * in that order, and messages from one publishing thread in the order it published them.
 *
 * <p><b>Slow subscribers.</b> Each subscriber has its own bounded queue; one slow subscriber never
 * delays the publisher or any other subscriber. On overflow its {@link SlowConsumerPolicy}
 * applies: {@code DISCONNECT} ends it with {@link SlowConsumerException}, {@code DROP_OLDEST}
 * drops (and counts) its oldest waiting messages.
 *
 * <p><b>Channels</b> exist on a node while they have local subscribers: created by the first
 * subscribe, removed when the last subscriber leaves. Publishing to a channel nobody subscribes to
 * and that keeps no history delivers and keeps nothing. The numbering lives in the broker: the
 * in-process broker keeps it while the channel has subscribers or history (a new numbering gets a
 * new epoch), Redis keeps it a day after the last publish.
 */
public interface Hub extends Disposable {

    /** A hub with {@link HubOptions#DEFAULT} options. */
    static Hub create() {
        return create(HubOptions.DEFAULT);
    }

    static Hub create(HubOptions options) {
        return new LocalHub(options);
    }

    /**
     * Subscribes to a channel with the hub's default queue limits. The subscription is registered
     * when the returned Flux is subscribed: a message published after that point is delivered.
     * The Flux never completes on its own; it completes when the hub is disposed, and errors with
     * {@link HubException} ({@link ErrorCode#INVALID_CHANNEL}) for a bad name or with
     * {@link SlowConsumerException} when it overflows under {@link SlowConsumerPolicy#DISCONNECT}.
     * Cancelling leaves the channel. With a broker between nodes (Redis), messages from other
     * nodes arrive once this node's subscription is confirmed, a round trip later;
     * {@link #attach(ChannelName, ChannelListener, StreamPosition)} says when.
     */
    default Flux<Message> subscribe(String channel) {
        return Flux.defer(() -> subscribe(ChannelName.of(channel)));
    }

    /** As {@link #subscribe(String)}, with a validated name. */
    Flux<Message> subscribe(ChannelName channel);

    /** As {@link #subscribe(ChannelName)}, with this subscriber's own queue limits and policy. */
    Flux<Message> subscribe(ChannelName channel, QueueLimits limits);

    /**
     * Registers a synchronous listener; the low-level form of subscribe that servers use to put
     * their own (already encoded) items into their own queue. Registered when this method returns.
     *
     * @return disposing it leaves the channel; idempotent
     */
    Disposable attach(ChannelName channel, ChannelListener listener);

    /**
     * Attaches a listener and waits until the channel is delivered to this node (with Redis: the
     * node's subscription is confirmed). The listener's {@link ChannelListener#onSubscribed} is
     * called first, with the channel's position; with {@code recover}, the messages published
     * after that position follow (oldest first, no gap, no duplicate) before any live one, or the
     * result says they are gone ({@code recovered == false}: the epoch changed or the history no
     * longer reaches back that far).
     *
     * @return completes with the handle (dispose it to leave) once the listener is live; errors
     *     with {@link HubException} ({@link ErrorCode#UNAVAILABLE} when the broker is unreachable)
     */
    Mono<Disposable> attach(ChannelName channel, ChannelListener listener, @Nullable StreamPosition recover);

    /**
     * The channel's history: with {@code since}, the messages after that offset, else the latest;
     * at most {@code limit} (and at most the channel's history size), oldest first.
     * Errors with {@link ErrorCode#NOT_ENABLED} for a channel that keeps no history.
     */
    Mono<HistoryResult> history(ChannelName channel, @Nullable Long since, int limit);

    /** Who is subscribed to the channel, on every node; {@link ErrorCode#NOT_ENABLED} without presence. */
    Mono<List<ClientInfo>> presence(ChannelName channel);

    /** Enters a client into the channel's presence (nothing for channels without presence). */
    Mono<Void> join(ChannelName channel, ClientInfo client);

    /** Removes a client from the channel's presence (nothing for channels without presence). */
    Mono<Void> leave(ChannelName channel, ClientInfo client);

    /**
     * Occupancy transitions of every node sharing this hub's broker: a channel's first subscriber
     * anywhere ({@link OccupancyEvent.Type#OCCUPIED}) and its last leaving
     * ({@link OccupancyEvent.Type#VACATED}), a user's first connection ({@link #connected}) and its
     * last closing ({@link OccupancyEvent.Type#ONLINE}, {@link OccupancyEvent.Type#OFFLINE}). Every
     * subscriber counts, with or without presence: a server connection's, an embedded
     * {@link #subscribe}'s, an {@link #attach}ed listener's.
     *
     * <p>Hot, no replay: a subscriber sees the transitions after it subscribed. One event per
     * transition cluster-wide, each reported by one node ({@link OccupancyEvent#reporter()}); with
     * Redis, the events of a node that dies come once its lease (the presence TTL) has expired, marked
     * {@link OccupancyEvent#expired()}. Signals arrive on the thread that recorded the transition (a
     * Redis thread with Redis); each subscriber buffers up to 10,000 events and drops its oldest past
     * that, delaying nobody. Completes when the hub is disposed, after this node's own channels and
     * users are reported vacated and offline.
     */
    Flux<OccupancyEvent> occupancy();

    /**
     * Counts a connection of {@code client.user()} for occupancy until the returned handle is
     * disposed (idempotent): the user's first connection on any node makes it online, its last
     * closing offline. Nothing is counted for a client without a user.
     */
    Disposable connected(ClientInfo client);

    /** The channel's options (history, presence) from the hub's {@link ChannelRules}. */
    ChannelOptions options(ChannelName channel);

    /**
     * Publishes UTF-8 text. Lazy like every Mono: nothing is published until it is subscribed.
     *
     * @return completes with the message's {@link PublishResult}; errors with {@link HubException}
     *     for a bad channel name or a disposed hub
     */
    default Mono<PublishResult> publish(String channel, String text) {
        return Mono.defer(
                () -> publish(ChannelName.of(channel), text.getBytes(StandardCharsets.UTF_8), PayloadType.TEXT));
    }

    /**
     * Publishes a payload of the given type. The array is handed over: do not modify it afterwards.
     * With the in-process broker, completes once the message has been put into every local
     * subscriber's queue (not once written to sockets); with Redis, once Redis has numbered, kept
     * and published it.
     */
    Mono<PublishResult> publish(ChannelName channel, byte[] payload, PayloadType type);

    /**
     * Messages handed to local subscribers since the hub started: one per subscriber per message,
     * whichever node published it.
     */
    long deliveries();

    /** Payload bytes of those deliveries. */
    long deliveredBytes();

    /** Channels that have at least one subscriber now. */
    int channelCount();

    /** Subscribers of a channel now (0 when the channel does not exist). */
    int subscriberCount(ChannelName channel);

    /** The default queue limits that {@link #subscribe(ChannelName)} uses. */
    QueueLimits queueLimits();

    /** This node's id among the hub's nodes (random per start), as {@link OccupancyEvent}s and node info name it. */
    String nodeId();

    /**
     * The live nodes of the hub, this one included: one node alone, or with Redis every node that
     * refreshed its entry within the node TTL (a node that died drops out after it).
     */
    Mono<List<NodeInfo>> nodes();

    /**
     * Active channels (with local subscribers on some node) and their subscriber counts summed over
     * the nodes, a page at a time in name order. With Redis every live node is asked over the
     * control channel and the answers are awaited a bounded time; a page without some node's answer
     * says so ({@link ChannelPage#complete()} false).
     */
    Mono<ChannelPage> channels(ChannelQuery query);

    /**
     * Sends a command to the {@link ControlListener}s of every node, this one included (with Redis,
     * over a pub/sub channel: at most once, a node cut off from Redis misses it). Completes when the
     * command is handed over. Errors with {@link ErrorCode#UNAVAILABLE} when Redis cannot be reached.
     */
    Mono<Void> sendControl(byte[] command);

    /**
     * Adds a listener of control commands that also counts this node's connections for
     * {@link #nodes()}; disposing the handle removes it.
     */
    Disposable onControl(ControlListener listener);

    /**
     * Whether the hub's broker can carry messages now (with Redis: its connections are up); for a
     * readiness check. Does not block.
     */
    default boolean brokerAvailable() {
        return true;
    }
}
