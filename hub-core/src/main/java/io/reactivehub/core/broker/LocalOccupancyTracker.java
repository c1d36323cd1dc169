package io.reactivehub.core.broker;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.OccupancyEvent;
import io.reactivehub.core.OccupancyEvent.Type;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Flux;

/**
 * Occupancy of one node, in memory: this node is the whole cluster, so each of its transitions is
 * one event, reported by itself. Thread-safe.
 */
public final class LocalOccupancyTracker implements OccupancyTracker {
    private final String node = OccupancyEvents.newNodeId();
    private final OccupancyEvents events = new OccupancyEvents();
    /** Channels and users now occupied / online, so dispose can end them. */
    private final Set<ChannelName> channels = ConcurrentHashMap.newKeySet();

    private final Set<String> users = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean disposed = new AtomicBoolean();

    @Override
    public String node() {
        return node;
    }

    @Override
    public void occupy(ChannelName channel) {
        if (!disposed.get() && channels.add(channel)) {
            emit(Type.OCCUPIED, channel.value());
        }
    }

    @Override
    public void vacate(ChannelName channel) {
        if (channels.remove(channel)) {
            emit(Type.VACATED, channel.value());
        }
    }

    @Override
    public void online(String user) {
        if (!disposed.get() && users.add(user)) {
            emit(Type.ONLINE, user);
        }
    }

    @Override
    public void offline(String user) {
        if (users.remove(user)) {
            emit(Type.OFFLINE, user);
        }
    }

    private void emit(Type type, String name) {
        events.emit(new OccupancyEvent(type, name, node, Instant.now(), false, node));
    }

    @Override
    public Flux<OccupancyEvent> events() {
        return events.flux();
    }

    /** Vacates what is left (each channel and user once), then completes the events. */
    @Override
    public void dispose() {
        if (disposed.compareAndSet(false, true)) {
            channels.forEach(this::vacate);
            users.forEach(this::offline);
            events.complete();
        }
    }

    @Override
    public boolean isDisposed() {
        return disposed.get();
    }
}
