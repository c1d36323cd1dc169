package io.reactivehub.core.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.StreamPosition;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.util.concurrent.Queues;

/**
 * One channel of a {@link HubProtocolClient}: its events, the position of the last message
 * delivered, and its subscribe on each connection (at most one per connection). Emissions are
 * serialized on this object: the event loop emits, {@code dispose} and a lost connection end it.
 */
final class ChannelSubscription {
    private static final Logger log = LoggerFactory.getLogger(ChannelSubscription.class);

    private final HubProtocolClient client;
    private final String channel;
    private final boolean joinLeave;
    private final Sinks.Many<HubProtocolClient.Event> events;
    /** The connection the last subscribe went out on: one subscribe per connection. */
    private final AtomicReference<HubClient.@Nullable Connection> sentOn = new AtomicReference<>();
    /** The last message delivered (or the top at the last subscribe); null before the first reply. */
    private volatile @Nullable StreamPosition position;

    ChannelSubscription(HubProtocolClient client, String channel, boolean joinLeave) {
        this.client = client;
        this.channel = channel;
        this.joinLeave = joinLeave;
        this.events = Sinks.many()
                .unicast()
                .onBackpressureBuffer(Queues.<HubProtocolClient.Event>get(client.options.maxBufferedEvents())
                        .get());
    }

    String channel() {
        return channel;
    }

    Flux<HubProtocolClient.Event> events() {
        return events.asFlux();
    }

    private synchronized void emit(HubProtocolClient.Event event) {
        if (events.tryEmitNext(event) == Sinks.EmitResult.FAIL_OVERFLOW) {
            client.subscriptions.remove(channel, this);
            HubClient.Connection c = client.connection();
            if (c != null) {
                client.command(c, "unsubscribe", channel, null, false).subscribe(null, e -> {});
            }
            events.tryEmitError(new IllegalStateException("subscriber of " + channel + " fell more than "
                    + client.options.maxBufferedEvents() + " events behind"));
        }
    }

    /** Ends the subscription: completes (null) or errors. */
    synchronized void end(@Nullable Throwable error) {
        if (error == null) {
            events.tryEmitComplete();
        } else {
            events.tryEmitError(error);
        }
    }

    /** Subscribes on {@code c} unless already done there, recovering from the last position. */
    void send(HubClient.Connection c) {
        if (sentOn.getAndSet(c) == c) {
            return;
        }
        StreamPosition from = position;
        client.command(
                        c,
                        "subscribe",
                        channel,
                        command -> {
                            if (joinLeave) {
                                command.put("joinLeave", true);
                            }
                            if (from != null) {
                                command.putObject("recover")
                                        .put("offset", from.offset())
                                        .put("epoch", from.epoch());
                            }
                        },
                        false)
                .subscribe(reply -> subscribed(from, reply), e -> refused(c, e));
    }

    /** Subscribes again on the same connection (the server ended the subscription). */
    void resend(HubClient.Connection c) {
        sentOn.compareAndSet(c, null);
        send(c);
    }

    /**
     * The subscribe failed. Refused for good (channel name, permission, limit): the subscription
     * ends with the error. Refused for now (114 broker unavailable, 109 hub closing, 100, 111 over
     * the command budget), or not
     * sent while the connection still stands: asked again after a jittered pause. The connection
     * was lost: the next one subscribes again. 106: the hub holds a subscription this client no
     * longer has (an unsubscribe raced a subscribe): it is dropped, then subscribed again.
     */
    private void refused(HubClient.Connection c, Throwable e) {
        if (e instanceof HubProtocolClient.CommandException refused) {
            int code = refused.code();
            if (code == ErrorCode.ALREADY_SUBSCRIBED.code()) {
                client.command(c, "unsubscribe", channel, null, false)
                        .subscribe(reply -> resend(c), error -> retryLater(c));
            } else if (code == ErrorCode.UNAVAILABLE.code()
                    || code == ErrorCode.HUB_CLOSED.code()
                    || code == ErrorCode.INTERNAL.code()
                    || code == ErrorCode.RATE_LIMITED.code()) {
                retryLater(c);
            } else {
                client.subscriptions.remove(channel, this);
                end(e);
            }
        } else if (client.connection() == c) {
            retryLater(c);
        } else {
            log.debug("subscribe to {} not answered: {}", channel, e.toString());
        }
    }

    private void retryLater(HubClient.Connection c) {
        long min = client.options.minBackoff().toMillis();
        long pause = ThreadLocalRandom.current().nextLong(min, Math.max(min, 1000) + 1);
        Schedulers.parallel()
                .schedule(
                        () -> {
                            if (client.connection() == c && client.subscriptions.get(channel) == this) {
                                resend(c);
                            }
                        },
                        pause,
                        TimeUnit.MILLISECONDS);
    }

    private void subscribed(@Nullable StreamPosition from, JsonNode reply) {
        StreamPosition top = new StreamPosition(
                reply.path("offset").asLong(), reply.path("epoch").asText());
        boolean recovered = reply.path("recovered").asBoolean();
        if (from == null || !recovered) {
            position = top;
        }
        // Recovered: the missed messages follow as publications; the position moves with them.
        emit(new HubProtocolClient.Subscribed(channel, top, from != null && recovered));
        if (from != null && !recovered) {
            emit(new HubProtocolClient.Resync(channel, top));
        }
    }

    /** On the event loop: a join or leave push; dropped before the first subscribe reply. */
    void presence(boolean joined, ClientInfo who) {
        if (position != null) {
            emit(joined ? new HubProtocolClient.Join(channel, who) : new HubProtocolClient.Leave(channel, who));
        }
    }

    /** On the event loop. */
    void publication(long offset, JsonNode data) {
        StreamPosition p = position;
        if (p == null || offset <= p.offset()) {
            return; // before the first reply (not ours yet), or delivered already
        }
        position = new StreamPosition(offset, p.epoch());
        emit(new HubProtocolClient.Publication(channel, offset, p.epoch(), data));
    }
}
