package io.reactivehub.server.session;

import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubException;
import io.reactivehub.core.StreamPosition;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;

/**
 * One session's channels: each subscription's handle, its presence entry, and the subscription
 * gauge. A subscription is recorded before the hub is asked, so a second subscribe to the same
 * channel is refused even while the first is still being confirmed, and an unsubscribe or close
 * meanwhile undoes it as soon as the hub answers. Thread-safe.
 */
public final class Subscriptions {
    private static final Logger log = LoggerFactory.getLogger(Subscriptions.class);

    private final Session session;
    private final Hub hub;
    private final Map<ChannelName, Disposable> channels = new ConcurrentHashMap<>();

    Subscriptions(Session session) {
        this.session = session;
        this.hub = session.hub();
    }

    /**
     * Subscribes through the hub's confirmed attach: the broker delivers the channel to this node
     * before the listener's {@code onSubscribed}, and with {@code recover} the missed messages come
     * first. Errors with {@link HubException} (already subscribed, broker unavailable).
     */
    public Mono<Void> subscribe(ChannelName channel, ChannelListener listener, @Nullable StreamPosition recover) {
        return track(channel, hub.attach(channel, listener, recover));
    }

    /**
     * Subscribes at once, without a position or a confirmation (a protocol with no reply to wait
     * for): the listener is registered when this returns.
     */
    public void subscribeNow(ChannelName channel, ChannelListener listener) {
        track(channel, Mono.fromSupplier(() -> hub.attach(channel, listener))).subscribe(null, e -> {
            // Only a closing hub refuses a listener: the connection has nothing left to wait for.
            log.debug("session {}: subscription to {} failed: {}", session.id(), channel, e.toString());
            session.close(DisconnectReason.SHUTDOWN);
        });
    }

    private Mono<Void> track(ChannelName channel, Mono<Disposable> attach) {
        Disposable.Swap slot = Disposables.swap();
        if (channels.putIfAbsent(channel, slot) != null) {
            return Mono.error(new HubException(ErrorCode.ALREADY_SUBSCRIBED, "already subscribed to " + channel));
        }
        session.metrics().subscribed();
        return attach.doOnNext(attached -> {
                    // False (and disposed) if unsubscribed or closed while attaching.
                    if (slot.replace(attached)) {
                        attached(channel);
                    }
                })
                .doOnError(e -> {
                    if (channels.remove(channel, slot)) {
                        session.metrics().unsubscribed();
                    }
                })
                .then();
    }

    /** A subscription is in place: enter presence, or undo it if the session closed meanwhile. */
    private void attached(ChannelName channel) {
        hub.join(channel, session.clientInfo())
                .subscribe(
                        null,
                        // The broker logs its own unavailability once; per session this is detail.
                        e -> log.debug(
                                "session {}: presence in {} not recorded: {}", session.id(), channel, e.getMessage()));
        if (!session.isOpen()) {
            unsubscribe(channel);
        }
    }

    public boolean contains(ChannelName channel) {
        return channels.containsKey(channel);
    }

    public int count() {
        return channels.size();
    }

    /** Leaves a channel (and its presence); false if not subscribed. */
    public boolean unsubscribe(ChannelName channel) {
        Disposable attached = channels.remove(channel);
        if (attached == null) {
            return false;
        }
        attached.dispose();
        session.metrics().unsubscribed();
        hub.leave(channel, session.clientInfo())
                .subscribe(
                        null,
                        e -> log.debug(
                                "session {}: presence in {} not removed: {}", session.id(), channel, e.getMessage()));
        return true;
    }

    /** Leaves every channel. */
    void clear() {
        channels.keySet().forEach(this::unsubscribe);
    }
}
