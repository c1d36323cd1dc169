package io.reactivehub.core.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.StreamPosition;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.util.concurrent.Queues;

/**
 * A hub-protocol client that keeps its subscriptions whole: it connects to one of several hub
 * URLs (in turn), reconnects with exponential backoff and full jitter when the connection is lost,
 * and resubscribes every channel with {@code recover} from the last offset it delivered, so a
 * subscriber sees each channel's messages in order and without a gap as long as the channel's
 * history reaches back. When it does not (the server answers {@code recovered:false}), the
 * subscription emits {@link Resync} before the next message, never a silent gap.
 *
 * <p>Threads: events are emitted on the connection's event loop. Bounded: each subscription's
 * Flux buffers at most {@link Options#maxBufferedEvents()} events for a slow subscriber (past
 * that it ends with {@link IllegalStateException}), and at most
 * {@link Options#maxPendingRequests()} commands wait for their reply. Thread-safe.
 */
public final class HubProtocolClient implements Disposable {
    private static final Logger log = LoggerFactory.getLogger(HubProtocolClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param transport          heartbeat, message size, TLS and extra headers of each connection
     * @param minBackoff         the first reconnect waits up to this long (full jitter; 100ms by default)
     * @param maxBackoff         no reconnect waits longer (10s by default)
     * @param maxPendingRequests commands waiting for their reply (1000 by default); more fail at once
     * @param maxBufferedEvents  events a subscription holds for a slow subscriber (10,000 by default)
     */
    public record Options(
            HubClient.Options transport,
            Duration minBackoff,
            Duration maxBackoff,
            int maxPendingRequests,
            int maxBufferedEvents) {
        public static final Options DEFAULT =
                new Options(HubClient.Options.DEFAULT, Duration.ofMillis(100), Duration.ofSeconds(10), 1000, 10_000);

        public Options {
            Objects.requireNonNull(transport, "transport");
            Objects.requireNonNull(minBackoff, "minBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
            if (minBackoff.isNegative() || minBackoff.isZero() || maxBackoff.compareTo(minBackoff) < 0) {
                throw new IllegalArgumentException("need 0 < minBackoff <= maxBackoff");
            }
            if (maxPendingRequests < 1 || maxBufferedEvents < 1) {
                throw new IllegalArgumentException("maxPendingRequests and maxBufferedEvents must be at least 1");
            }
        }

        /** These options with another transport (heartbeat, message size, TLS, headers). */
        public Options withTransport(HubClient.Options newTransport) {
            return new Options(newTransport, minBackoff, maxBackoff, maxPendingRequests, maxBufferedEvents);
        }

        /** These options with another backoff. */
        public Options withBackoff(Duration min, Duration max) {
            return new Options(transport, min, max, maxPendingRequests, maxBufferedEvents);
        }
    }

    /** What a subscription emits. */
    public sealed interface Event permits Publication, Resync {}

    /** A message of the channel, with its place in the channel's stream. */
    public record Publication(String channel, long offset, String epoch, JsonNode data) implements Event {}

    /**
     * Messages of the channel were lost and could not be recovered (the history no longer reaches
     * back, or the channel's numbering changed): resync from your own source; what follows starts
     * at {@code position}.
     */
    public record Resync(String channel, StreamPosition position) implements Event {}

    /** The connection's state. */
    public sealed interface State permits Connecting, Connected, Disconnected, Closed {}

    public record Connecting(URI url, int attempt) implements State {}

    public record Connected(URI url) implements State {}

    /** Lost; the next attempt is in {@code retryIn}. Code 1006 when there was no close frame. */
    public record Disconnected(int code, String reason, Duration retryIn) implements State {}

    /** Stopped for good: closed by the application, or refused for a reason retrying cannot fix. */
    public record Closed(String reason) implements State {}

    /** A command the hub answered with an error. */
    public static final class CommandException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int code;

        CommandException(int code, String message) {
            super(code + " " + message, null, false, false);
            this.code = code;
        }

        /** The hub protocol's error code (README), e.g. 112 permission denied. */
        public int code() {
            return code;
        }
    }

    private final List<URI> urls;
    private final Options options;
    private final Sinks.Many<State> states = Sinks.many().replay().latest();
    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    private final Map<Long, MonoSink<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile HubClient.@Nullable Connection connection;
    private volatile boolean closed;
    /** Attempts since the last successful connection (the backoff grows with them). */
    private final AtomicInteger attempt = new AtomicInteger();
    /** Which URL comes next: never reset, so a reconnect starts with the node after the one lost. */
    private final AtomicInteger nextUrl = new AtomicInteger();

    private HubProtocolClient(List<URI> urls, Options options) {
        this.urls = List.copyOf(urls);
        this.options = options;
    }

    /** Starts connecting (in the background) to the first URL, then the next ones in turn. */
    public static HubProtocolClient connect(List<URI> urls, Options options) {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("no URL");
        }
        HubProtocolClient client = new HubProtocolClient(urls, Objects.requireNonNull(options, "options"));
        client.connectNext();
        return client;
    }

    /** The connection's states, the current one first. */
    public Flux<State> states() {
        return states.asFlux();
    }

    /**
     * Subscribes to a channel, now and after every reconnect (with recovery). One subscription per
     * channel; cancelling the Flux unsubscribes.
     */
    public Flux<Event> subscribe(String channel) {
        Objects.requireNonNull(channel, "channel");
        return Flux.defer(() -> {
            Subscription s = new Subscription(channel);
            if (subscriptions.putIfAbsent(channel, s) != null) {
                return Flux.error(new IllegalStateException("already subscribed to " + channel));
            }
            HubClient.Connection c = connection;
            if (c != null) {
                s.send(c);
            }
            return s.events.asFlux().doFinally(signal -> {
                subscriptions.remove(channel, s);
                HubClient.Connection now = connection;
                if (now != null && !closed) {
                    command(now, "unsubscribe", channel, null).subscribe(null, e -> {});
                }
            });
        });
    }

    /**
     * Publishes JSON ({@code data} as written) to a channel; completes with the reply
     * ({@code offset}, {@code epoch}, {@code subscribers}). Errors with {@link CommandException}
     * when the hub refuses, or {@link IllegalStateException} while not connected.
     */
    public Mono<JsonNode> publish(String channel, String jsonData) {
        return Mono.defer(() -> {
            HubClient.Connection c = connection;
            if (c == null) {
                return Mono.error(new IllegalStateException("not connected"));
            }
            JsonNode data;
            try {
                data = JSON.readTree(jsonData);
            } catch (IOException e) {
                return Mono.error(new IllegalArgumentException("data is not JSON: " + e.getMessage()));
            }
            return command(c, "publish", channel, command -> command.set("data", data));
        });
    }

    private Mono<JsonNode> command(
            HubClient.Connection c, String op, String channel, @Nullable Consumer<ObjectNode> fields) {
        return Mono.create(sink -> {
            if (pending.size() >= options.maxPendingRequests()) {
                sink.error(new IllegalStateException(
                        "more than " + options.maxPendingRequests() + " commands wait for a reply"));
                return;
            }
            long id = ids.incrementAndGet();
            ObjectNode command =
                    JSON.createObjectNode().put("id", id).put("op", op).put("channel", channel);
            if (fields != null) {
                fields.accept(command);
            }
            pending.put(id, sink);
            sink.onDispose(() -> pending.remove(id));
            c.send(command.toString()).subscribe(null, sink::error);
        });
    }

    private void connectNext() {
        if (closed) {
            return;
        }
        int n = attempt.incrementAndGet();
        URI url = urls.get(Math.floorMod(nextUrl.getAndIncrement(), urls.size()));
        states.tryEmitNext(new Connecting(url, n));
        HubClient.connect(url, options.transport()).subscribe(c -> opened(url, c), e -> {
            String why = describe(e);
            // A refused token or origin is not fixed by retrying.
            lost(e instanceof HubClient.HandshakeRefusedException && why.matches("^(401|403)\\b.*") ? 1008 : 1006, why);
        });
    }

    private void opened(URI url, HubClient.Connection c) {
        if (closed) {
            c.dispose();
            return;
        }
        attempt.set(0);
        connection = c;
        states.tryEmitNext(new Connected(url));
        c.messages().subscribe(m -> onMessage(c, m.text()), e -> ended(c), () -> ended(c));
        subscriptions.values().forEach(s -> s.send(c));
    }

    /** On the event loop: the connection ended; its close status (if any) says why. */
    private void ended(HubClient.Connection c) {
        connection = null;
        c.closeStatus()
                .map(status -> new int[] {status.code()})
                .defaultIfEmpty(new int[] {1006})
                .zipWith(c.closeStatus().map(WebSocketCloseStatus::reasonText).defaultIfEmpty("no close frame"))
                .subscribe(t -> lost(t.getT1()[0], t.getT2()));
    }

    private void lost(int code, String reason) {
        pending.values().forEach(sink -> sink.error(new IllegalStateException("connection lost (" + code + ")")));
        pending.clear();
        if (closed) {
            return;
        }
        if (code == 1008 || (code >= 4000 && code != 4001 && code != 4002 && code != 4003)) {
            closed = true;
            states.tryEmitNext(new Closed(code + " " + reason));
            subscriptions.values().forEach(s -> s.events.tryEmitError(new IllegalStateException(code + " " + reason)));
            return;
        }
        // 1001 (shutdown) and 1013 (try again later) mean "reconnect now, elsewhere": no backoff.
        long capMillis = Math.min(
                options.maxBackoff().toMillis(),
                options.minBackoff().toMillis() << Math.min(20, Math.max(0, attempt.get() - 1)));
        Duration delay = code == 1001 || code == 1013
                ? Duration.ZERO
                : Duration.ofMillis(ThreadLocalRandom.current().nextLong(capMillis + 1));
        states.tryEmitNext(new Disconnected(code, reason, delay));
        Schedulers.parallel().schedule(this::connectNext, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** On the connection's event loop, in order. */
    private void onMessage(HubClient.Connection c, String text) {
        JsonNode message;
        try {
            message = JSON.readTree(text);
        } catch (IOException e) {
            log.warn("not JSON from the hub, ignored ({} chars)", text.length());
            return;
        }
        JsonNode id = message.get("id");
        if (id != null && id.canConvertToLong()) {
            MonoSink<JsonNode> sink = pending.remove(id.asLong());
            if (sink != null) {
                JsonNode error = message.get("error");
                if (error != null) {
                    sink.error(new CommandException(
                            error.path("code").asInt(), error.path("message").asText()));
                } else {
                    sink.success(message);
                }
            }
            return;
        }
        Subscription s = subscriptions.get(message.path("channel").asText());
        if (s == null) {
            return;
        }
        if (message.has("unsubscribed")) {
            s.send(c); // the server lost messages: subscribe again, recovering them
        } else if (message.has("offset") && message.has("data")) {
            s.publication(message.path("offset").asLong(), message.get("data"));
        }
    }

    private static String describe(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Closes the connection (1000) and ends every subscription. */
    @Override
    public void dispose() {
        closed = true;
        HubClient.Connection c = connection;
        if (c != null) {
            c.close().subscribe();
        }
        states.tryEmitNext(new Closed("closed by the application"));
        subscriptions.values().forEach(s -> s.events.tryEmitComplete());
    }

    @Override
    public boolean isDisposed() {
        return closed;
    }

    /** One channel: its events and the position of the last message delivered. */
    private final class Subscription {
        final String channel;
        final Sinks.Many<Event> events;
        /** Event loop only (replies and pushes of one connection arrive in order). */
        @Nullable
        StreamPosition position;

        Subscription(String channel) {
            this.channel = channel;
            this.events = Sinks.many()
                    .unicast()
                    .onBackpressureBuffer(
                            Queues.<Event>get(options.maxBufferedEvents()).get());
        }

        /** Event loop only. */
        private void emit(Event event) {
            if (events.tryEmitNext(event) == Sinks.EmitResult.FAIL_OVERFLOW) {
                subscriptions.remove(channel, this);
                events.tryEmitError(new IllegalStateException("subscriber of " + channel + " fell more than "
                        + options.maxBufferedEvents() + " events behind"));
            }
        }

        /** Subscribes on {@code c}, recovering from the last position if there is one. */
        void send(HubClient.Connection c) {
            StreamPosition from = position;
            command(c, "subscribe", channel, command -> {
                        if (from != null) {
                            command.putObject("recover")
                                    .put("offset", from.offset())
                                    .put("epoch", from.epoch());
                        }
                    })
                    .subscribe(reply -> subscribed(from, reply), e -> refused(c, e));
        }

        /**
         * The subscribe failed. Refused for good (channel name, permission, limit): the subscription
         * ends with the error. Refused for now (114 broker unavailable, 109 hub closing, 100): asked
         * again on the same connection after a jittered pause. Not answered (the connection was
         * lost): the next connection subscribes again. Already subscribed (a subscribe that raced
         * the connection opening): the first one stands.
         */
        private void refused(HubClient.Connection c, Throwable e) {
            if (!(e instanceof CommandException refused) || refused.code() == ErrorCode.ALREADY_SUBSCRIBED.code()) {
                log.debug("subscribe to {} not answered: {}", channel, e.toString());
            } else if (refused.code() == ErrorCode.UNAVAILABLE.code()
                    || refused.code() == ErrorCode.HUB_CLOSED.code()
                    || refused.code() == ErrorCode.INTERNAL.code()) {
                long pause = ThreadLocalRandom.current()
                        .nextLong(
                                options.minBackoff().toMillis(),
                                Math.max(options.minBackoff().toMillis(), 1000) + 1);
                Schedulers.parallel()
                        .schedule(
                                () -> {
                                    if (connection == c && subscriptions.get(channel) == this) {
                                        send(c);
                                    }
                                },
                                pause,
                                TimeUnit.MILLISECONDS);
            } else {
                subscriptions.remove(channel, this);
                events.tryEmitError(e);
            }
        }

        private void subscribed(@Nullable StreamPosition from, JsonNode reply) {
            StreamPosition top = new StreamPosition(
                    reply.path("offset").asLong(), reply.path("epoch").asText());
            if (from == null) {
                position = top;
            } else if (!reply.path("recovered").asBoolean()) {
                position = top;
                emit(new Resync(channel, top));
            }
            // Recovered: the missed messages follow as pushes; position moves with them.
        }

        void publication(long offset, JsonNode data) {
            StreamPosition p = position;
            String epoch = p == null ? "" : p.epoch();
            if (p != null && offset <= p.offset()) {
                return; // delivered already (a recovery's replay overlapping what arrived live)
            }
            position = new StreamPosition(offset, epoch);
            emit(new Publication(channel, offset, epoch, data));
        }
    }
}
