package io.reactivehub.core.broker;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.OccupancyEvent;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * Which channels have subscribers and which users have connections, across every node this
 * tracker covers, and the {@link OccupancyEvent}s of their transitions: the in-process
 * {@link LocalOccupancyTracker}, or {@code RedisOccupancyTracker} (every node sharing one Redis,
 * each node's entries under its lease, so a node that dies still produces its vacated and offline
 * events once its lease expires).
 *
 * <p><b>Calls.</b> The hub calls {@link #occupy} when a channel gets its first local subscriber and
 * {@link #vacate} when it loses its last, {@link #online} for a user's first local connection and
 * {@link #offline} for its last, in that order per channel and per user. No method blocks.
 *
 * <p><b>Guarantees.</b> One event per cluster-wide transition, reported by exactly one node
 * ({@link OccupancyEvent#reporter()}). An event of this node's own report is never lost to a
 * pub/sub outage; another node's can be (then this node's {@link #events()} misses it).
 */
public interface OccupancyTracker extends Disposable {

    /** This node's id, as events name it. */
    String node();

    /** The channel's first local subscriber. */
    void occupy(ChannelName channel);

    /** The channel's last local subscriber left. */
    void vacate(ChannelName channel);

    /** The user's first local connection opened. */
    void online(String user);

    /** The user's last local connection closed. */
    void offline(String user);

    /**
     * Every transition of every node covered, as this node learns of them: hot (no replay), one
     * subscriber's slowness never delays another, each subscriber buffers up to
     * {@link OccupancyEvents#MAX_BUFFERED} events and drops its oldest past that. Completes when the
     * tracker is disposed. Disposing ends this node's entries first (their vacated and offline events
     * are reported).
     */
    Flux<OccupancyEvent> events();
}
