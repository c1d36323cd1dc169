package io.reactivehub.core.internal;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.broker.Broker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.scheduler.Schedulers;

/**
 * Coalesces this node's join/leave announcements per channel over a short window before handing
 * them to the broker: a join and a leave of the same connection within the window cancel out, so
 * a client toggling its subscription (subscribe, unsubscribe, subscribe, ...) costs the channel's
 * members at most one push per window instead of two per toggle. Announcements that remain go out
 * in the order they were made. Presence itself (who is listed) is updated at once, not here.
 * Thread-safe: each channel's pending announcements are guarded by this object's lock.
 */
final class PresenceAnnouncer {
    private static final Logger log = LoggerFactory.getLogger(PresenceAnnouncer.class);

    private final Broker broker;
    private final Duration window;
    /** Per channel, per client id: the announcement waiting for the window's end. */
    private final Map<ChannelName, LinkedHashMap<String, PresenceEvent>> pending = new LinkedHashMap<>();

    PresenceAnnouncer(Broker broker, Duration window) {
        this.broker = broker;
        this.window = window;
    }

    void announce(ChannelName channel, PresenceEvent event) {
        synchronized (this) {
            LinkedHashMap<String, PresenceEvent> events = pending.get(channel);
            boolean schedule = events == null;
            if (events == null) {
                events = new LinkedHashMap<>();
                pending.put(channel, events);
            }
            String client = event.client().client();
            PresenceEvent before = events.get(client);
            if (before != null && before.joined() != event.joined()) {
                events.remove(client); // joined and left (or left and joined) within the window
            } else {
                events.put(client, event);
            }
            if (!schedule) {
                return;
            }
        }
        Schedulers.parallel().schedule(() -> flush(channel), window.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void flush(ChannelName channel) {
        List<PresenceEvent> events;
        synchronized (this) {
            LinkedHashMap<String, PresenceEvent> waiting = pending.remove(channel);
            events = waiting == null ? List.of() : new ArrayList<>(waiting.values());
        }
        for (PresenceEvent event : events) {
            broker.announce(channel, event)
                    .subscribe(null, e -> log.debug("join/leave on {} not announced: {}", channel, e.toString()));
        }
    }
}
