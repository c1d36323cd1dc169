package io.reactivehub.server.session;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubException;
import io.reactivehub.core.StreamPosition;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One session's channels: each subscription's handle, its presence entry, and the subscription
 * gauge. A subscription is recorded before the hub is asked, so a second subscribe to the same
 * channel is refused even while the first is still being confirmed, and an unsubscribe or close
 * meanwhile undoes it as soon as the hub answers. Thread-safe.
 *
 * <p>Races: the hub completes an attach on the broker's thread (a Lettuce thread with Redis) while
 * the session may leave the channel on its event loop. Each subscription decides under its own
 * monitor whether it is still wanted when the attach lands (then it enters presence) and whether
 * it had entered presence when it ends (then it leaves), so a client that left is never entered
 * after its leave; and its {@link Deliveries} decides whether the client was told it started.
 */
public final class Subscriptions {
    private static final Logger log = LoggerFactory.getLogger(Subscriptions.class);

    /** What {@link #leave} found. */
    public enum Left {
        /** The connection was not subscribed. */
        NOT_SUBSCRIBED,
        /** The subscribe was still pending: the client was never told it started. */
        PENDING,
        /** The client had been told the subscription started. */
        CONFIRMED
    }

    private final Session session;
    private final Hub hub;
    // Most connections hold one or a few channels: a small table (the default sizes 16 slots).
    private final Map<ChannelName, Subscription> channels = new ConcurrentHashMap<>(2);

    Subscriptions(Session session) {
        this.session = session;
        this.hub = session.hub();
    }

    /**
     * Subscribes through the hub's confirmed attach: the broker delivers the channel to this node
     * before the listener's {@code onSubscribed}, and with {@code recover} the missed messages come
     * first. Errors with {@link HubException} (already subscribed, broker unavailable, or the error
     * given to {@link #leave} when the subscription ends before it was confirmed); completes empty
     * when it ends so for a closing session.
     */
    public Mono<Void> subscribe(ChannelName channel, Deliveries listener, @Nullable StreamPosition recover) {
        return track(channel, listener, hub.attach(channel, listener, recover));
    }

    /**
     * Subscribes at once, without a position or a confirmation (a protocol with no reply to wait
     * for): the listener is registered when this returns.
     */
    public void subscribeNow(ChannelName channel, Deliveries listener) {
        track(channel, listener, Mono.fromSupplier(() -> hub.attach(channel, listener)))
                .subscribe(null, e -> {
                    // Only a closing hub refuses a listener: the connection has nothing left to wait for.
                    log.debug("session {}: subscription to {} failed: {}", session.id(), channel, e.toString());
                    session.close(DisconnectReason.SHUTDOWN);
                });
    }

    private Mono<Void> track(ChannelName channel, Deliveries listener, Mono<Disposable> attach) {
        Subscription subscription = new Subscription(channel, listener);
        if (channels.putIfAbsent(channel, subscription) != null) {
            return Mono.error(new HubException(ErrorCode.ALREADY_SUBSCRIBED, "already subscribed to " + channel));
        }
        session.metrics().subscribed();
        return attach.doOnNext(attached -> {
                    subscription.attached(attached);
                    if (!session.isOpen()) {
                        leave(channel, null); // closed while attaching
                    }
                })
                .doOnError(e -> {
                    if (channels.remove(channel, subscription)) {
                        subscription.end();
                        session.metrics().unsubscribed();
                    }
                })
                .then()
                // Ended first (unsubscribe, refresh, close): the attach is cancelled, which undoes it.
                .or(subscription.ended.asMono());
    }

    public boolean contains(ChannelName channel) {
        return channels.containsKey(channel);
    }

    public int count() {
        return channels.size();
    }

    /** The channels now, confirmed or pending. */
    public List<ChannelName> channels() {
        return List.copyOf(channels.keySet());
    }

    /**
     * Leaves a channel (and its presence); a subscribe still pending fails with error 107 and
     * pushes nothing. False if not subscribed.
     */
    public boolean unsubscribe(ChannelName channel) {
        return leave(
                        channel,
                        new HubException(
                                ErrorCode.NOT_SUBSCRIBED,
                                "unsubscribed from " + channel + " before the subscription completed"))
                != Left.NOT_SUBSCRIBED;
    }

    /**
     * Leaves a channel: nothing of it reaches the connection any more, and the session leaves its
     * presence if it had entered it.
     *
     * @param pendingError what a subscribe still pending fails with (its error reply); null to
     *     end it without a reply (the session is closing)
     */
    public Left leave(ChannelName channel, @Nullable HubException pendingError) {
        Subscription subscription = channels.remove(channel);
        if (subscription == null) {
            return Left.NOT_SUBSCRIBED;
        }
        boolean confirmed = subscription.end();
        session.metrics().unsubscribed();
        if (confirmed || pendingError == null) {
            subscription.ended.tryEmitEmpty();
        } else {
            subscription.ended.tryEmitError(pendingError);
        }
        return confirmed ? Left.CONFIRMED : Left.PENDING;
    }

    /** Leaves every channel; pending subscribes end without a reply. */
    void clear() {
        channels.keySet().forEach(channel -> leave(channel, null));
    }

    /** One channel of the session, from its subscribe until it ends. */
    private final class Subscription {
        private final ChannelName channel;
        private final Deliveries listener;
        /** The hub's handle once attached; disposing it first disposes whatever lands later. */
        private final Disposable.Swap handle = Disposables.swap();
        /** Signals when the subscription ends, to cut a pending subscribe short. */
        final Sinks.One<Void> ended = Sinks.one();
        /** Guarded by this: the session entered the channel's presence. */
        private boolean joined;

        Subscription(ChannelName channel, Deliveries listener) {
            this.channel = channel;
            this.listener = listener;
        }

        /** The hub attached the listener: enter presence, unless the subscription ended meanwhile. */
        synchronized void attached(Disposable attachment) {
            if (!handle.replace(attachment)) {
                return; // ended first: replace disposed the attachment
            }
            joined = true;
            hub.join(channel, session.clientInfo())
                    .subscribe(
                            null,
                            // The broker logs its own unavailability once; per session this is detail.
                            e -> log.debug(
                                    "session {}: presence in {} not recorded: {}",
                                    session.id(),
                                    channel,
                                    e.getMessage()));
        }

        /**
         * Ends it: detached, out of presence if it was in, nothing more delivered.
         *
         * @return whether the client had been told it started
         */
        synchronized boolean end() {
            handle.dispose();
            if (joined) {
                joined = false;
                hub.leave(channel, session.clientInfo())
                        .subscribe(
                                null,
                                e -> log.debug(
                                        "session {}: presence in {} not removed: {}",
                                        session.id(),
                                        channel,
                                        e.getMessage()));
            }
            return listener.end();
        }
    }
}
