package io.reactivehub.core.client;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.StreamPosition;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * A hub-protocol client that keeps its subscriptions whole: it connects to one of several hub
 * URLs (in turn), reconnects with exponential backoff and full jitter when the connection is lost,
 * and resubscribes every channel with {@code recover} from the last offset it delivered, so a
 * subscriber sees each channel's messages in order and without a gap as long as the channel's
 * history reaches back. When it does not (the server answers {@code recovered:false}), the
 * subscription emits {@link Resync} before the next message, never a silent gap.
 *
 * <p>Threads: events are emitted on the connection's event loop. Bounded: each subscription's
 * Flux buffers about {@link Options#maxBufferedEvents()} events for a slow subscriber (rounded up
 * to a power of two; past that it ends with {@link IllegalStateException}), and at most
 * {@link Options#maxPendingRequests()} publishes wait for their reply. Thread-safe.
 */
public final class HubProtocolClient implements Disposable {
    private static final Logger log = LoggerFactory.getLogger(HubProtocolClient.class);
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * @param transport          heartbeat, message size, TLS and extra headers of each connection
     * @param minBackoff         the first reconnect waits up to this long (full jitter; 100ms by default)
     * @param maxBackoff         no reconnect waits longer (10s by default)
     * @param maxPendingRequests commands waiting for a connection or their reply (1000 by default); more
     *                           fail at once
     * @param maxBufferedEvents  events a subscription holds for a slow subscriber (10,000 by default)
     * @param requestTimeout     how long publish, history and presence wait, for a connection and then
     *                           for the reply (10s by default); also bounds each call of the token supplier
     * @param tokens             called for a JWT at every connect and before the token's {@code exp}
     *                           (sent as {@code refresh}); null (the default): no token, or a fixed one
     *                           in the transport's headers
     */
    public record Options(
            HubClient.Options transport,
            Duration minBackoff,
            Duration maxBackoff,
            int maxPendingRequests,
            int maxBufferedEvents,
            Duration requestTimeout,
            @Nullable Supplier<Mono<String>> tokens) {
        public static final Options DEFAULT = new Options(
                HubClient.Options.DEFAULT,
                Duration.ofMillis(100),
                Duration.ofSeconds(10),
                1000,
                10_000,
                Duration.ofSeconds(10),
                null);

        public Options {
            Objects.requireNonNull(transport, "transport");
            Objects.requireNonNull(minBackoff, "minBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
            Objects.requireNonNull(requestTimeout, "requestTimeout");
            if (minBackoff.isNegative() || minBackoff.isZero() || maxBackoff.compareTo(minBackoff) < 0) {
                throw new IllegalArgumentException("need 0 < minBackoff <= maxBackoff");
            }
            if (maxPendingRequests < 1 || maxBufferedEvents < 1) {
                throw new IllegalArgumentException("maxPendingRequests and maxBufferedEvents must be at least 1");
            }
            if (requestTimeout.isNegative() || requestTimeout.isZero()) {
                throw new IllegalArgumentException("requestTimeout must be positive");
            }
        }

        /** These options with another transport (heartbeat, message size, TLS, headers). */
        public Options withTransport(HubClient.Options newTransport) {
            return new Options(
                    newTransport,
                    minBackoff,
                    maxBackoff,
                    maxPendingRequests,
                    maxBufferedEvents,
                    requestTimeout,
                    tokens);
        }

        /** These options with another backoff. */
        public Options withBackoff(Duration min, Duration max) {
            return new Options(transport, min, max, maxPendingRequests, maxBufferedEvents, requestTimeout, tokens);
        }

        /** These options with another request timeout. */
        public Options withRequestTimeout(Duration timeout) {
            return new Options(
                    transport, minBackoff, maxBackoff, maxPendingRequests, maxBufferedEvents, timeout, tokens);
        }

        /**
         * These options with a token supplier: called at every connect (the token goes in
         * {@code Authorization: Bearer}) and before the token's {@code exp} (sent as {@code refresh}).
         */
        public Options withTokens(Supplier<Mono<String>> supplier) {
            return new Options(
                    transport,
                    minBackoff,
                    maxBackoff,
                    maxPendingRequests,
                    maxBufferedEvents,
                    requestTimeout,
                    Objects.requireNonNull(supplier, "supplier"));
        }
    }

    /** What a subscription emits. */
    public sealed interface Event permits Subscribed, Publication, Resync, Join, Leave {}

    /**
     * The hub answered a (re)subscribe: where the channel stood, and whether the messages missed
     * since the last one delivered are recovered (they follow as publications).
     */
    public record Subscribed(String channel, StreamPosition position, boolean recovered) implements Event {}

    /** A message of the channel, with its place in the channel's stream. */
    public record Publication(String channel, long offset, String epoch, JsonNode data) implements Event {}

    /**
     * Messages of the channel were lost and could not be recovered (the history no longer reaches
     * back, or the channel's numbering changed): resync from your own source; what follows starts
     * at {@code position}.
     */
    public record Resync(String channel, StreamPosition position) implements Event {}

    /** A connection subscribed to the channel (subscriptions asked with {@code joinLeave}). */
    public record Join(String channel, ClientInfo client) implements Event {}

    /** A connection left the channel (subscriptions asked with {@code joinLeave}). */
    public record Leave(String channel, ClientInfo client) implements Event {}

    /**
     * A history reply: the channel's top, and the kept messages asked for, oldest first;
     * {@code truncated} when the reply hit the hub's size bound (ask again with {@code since} = the
     * last offset).
     */
    public record History(StreamPosition top, List<Publication> messages, boolean truncated) {}

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
    final Options options;
    /** Guards the connection's lifecycle: closed, connection, and the order of states. */
    private final Object lock = new Object();

    private final Sinks.Many<State> states = Sinks.many().replay().latest();
    final Map<String, ChannelSubscription> subscriptions = new ConcurrentHashMap<>();
    private final Requests requests;

    private final @Nullable TokenRefresh tokens;
    private volatile HubClient.@Nullable Connection connection;
    private volatile boolean closed;
    private boolean closedEmitted;
    private long openedAt;
    /** Attempts since the last connection that lasted (the backoff grows with them). */
    private int attempt;
    /** Which URL comes next: never reset, so a reconnect starts with the node after the one lost. */
    private int nextUrl;

    private HubProtocolClient(List<URI> urls, Options options) {
        this.urls = List.copyOf(urls);
        this.options = options;
        this.requests = new Requests(this, options.maxPendingRequests());
        Supplier<Mono<String>> supplier = options.tokens();
        this.tokens = supplier == null ? null : new TokenRefresh(this, supplier, options.requestTimeout());
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

    /** The connection's states, the current one first; completes after {@link Closed}. */
    public Flux<State> states() {
        return states.asFlux();
    }

    /** As {@link #subscribe(String, boolean)} without join/leave events. */
    public Flux<Event> subscribe(String channel) {
        return subscribe(channel, false);
    }

    /**
     * Subscribes to a channel, now and after every reconnect (with recovery). One subscription per
     * channel; cancelling the Flux unsubscribes. Errors at once once the client is closed, and with
     * {@link CommandException} when the hub refuses the channel for good (name, permission, limit).
     *
     * @param joinLeave also emit {@link Join} and {@link Leave} (channels with {@code join-leave})
     */
    public Flux<Event> subscribe(String channel, boolean joinLeave) {
        Objects.requireNonNull(channel, "channel");
        return Flux.defer(() -> {
            ChannelSubscription s = new ChannelSubscription(this, channel, joinLeave);
            if (subscriptions.putIfAbsent(channel, s) != null) {
                return Flux.error(new IllegalStateException("already subscribed to " + channel));
            }
            if (closed) {
                subscriptions.remove(channel, s);
                return Flux.error(new IllegalStateException("the client is closed"));
            }
            HubClient.Connection c = connection;
            if (c != null) {
                s.send(c);
            }
            return s.events().doFinally(signal -> {
                subscriptions.remove(channel, s);
                HubClient.Connection now = connection;
                if (now != null && !closed) {
                    command(now, "unsubscribe", channel, null, false).subscribe(null, e -> {});
                }
            });
        });
    }

    /**
     * Publishes JSON ({@code data}: one JSON value) to a channel; completes with the reply
     * ({@code offset}, {@code epoch}, {@code subscribers}). While the client is reconnecting the
     * publish waits for the connection (bounded by {@link Options#maxPendingRequests()} and
     * {@link Options#requestTimeout()}). Errors with {@link CommandException} when the hub refuses,
     * {@link IllegalArgumentException} for data that is not one JSON value, {@link TimeoutException}
     * past the request timeout, or {@link IllegalStateException} when the client is closed or the
     * connection is lost before the reply. After a timeout or a lost connection, or the hub's error
     * 118 (Redis did not answer it in time), the message may or may not have been published.
     */
    public Mono<JsonNode> publish(String channel, String jsonData) {
        Objects.requireNonNull(channel, "channel");
        return Mono.defer(() -> {
            JsonNode data;
            try {
                data = JSON.readTree(jsonData);
            } catch (IOException e) {
                return Mono.error(new IllegalArgumentException("data is not JSON: " + e.getMessage()));
            }
            if (data == null || data.isMissingNode()) {
                return Mono.error(new IllegalArgumentException("data is empty"));
            }
            return request("publish", channel, command -> command.set("data", data));
        });
    }

    /**
     * The channel's kept messages (channels with {@code history:N}): the latest {@code limit}, or
     * with {@code since} (≥ 0) those after that offset, oldest first. Waits for a connection and
     * errors as {@link #publish}; 115 when the channel keeps no history.
     *
     * @param limit at most this many (null: the hub's default, 100)
     * @param since only messages after this offset (null: the latest)
     */
    public Mono<History> history(String channel, @Nullable Integer limit, @Nullable Long since) {
        Objects.requireNonNull(channel, "channel");
        return request("history", channel, command -> {
                    if (limit != null) {
                        command.put("limit", limit);
                    }
                    if (since != null) {
                        command.put("since", since);
                    }
                })
                .map(reply -> {
                    StreamPosition top = new StreamPosition(
                            reply.path("offset").asLong(), reply.path("epoch").asText());
                    List<Publication> messages = new ArrayList<>();
                    for (JsonNode m : reply.path("messages")) {
                        messages.add(new Publication(channel, m.path("offset").asLong(), top.epoch(), m.get("data")));
                    }
                    return new History(
                            top, List.copyOf(messages), reply.path("truncated").asBoolean());
                });
    }

    /**
     * Who is subscribed to the channel on every node (channels with {@code presence}). Waits for a
     * connection and errors as {@link #publish}; 115 when the channel keeps no presence.
     */
    public Mono<List<ClientInfo>> presence(String channel) {
        Objects.requireNonNull(channel, "channel");
        return request("presence", channel, null).map(reply -> {
            List<ClientInfo> clients = new ArrayList<>();
            for (JsonNode c : reply.path("clients")) {
                clients.add(clientInfo(c));
            }
            return List.copyOf(clients);
        });
    }

    /** A command of the application: waits for a connection, then for its reply, within the timeout. */
    private Mono<JsonNode> request(String op, String channel, @Nullable Consumer<ObjectNode> fields) {
        return connected().flatMap(c -> command(c, op, channel, fields, true)).timeout(options.requestTimeout());
    }

    /** The connection, now or once the client reconnects; errors when the client is closed or full. */
    private Mono<HubClient.Connection> connected() {
        return Mono.defer(() -> {
            HubClient.Connection c = connection;
            if (c != null) {
                return Mono.just(c);
            }
            if (closed) {
                return Mono.error(new IllegalStateException("the client is closed"));
            }
            if (!requests.startWaiting()) {
                return Mono.error(requests.full());
            }
            return states.asFlux()
                    // A Connected replayed while that connection is being lost is not the next one.
                    .filter(s -> (s instanceof Connected && connection != null) || s instanceof Closed)
                    .next()
                    .flatMap(s -> {
                        HubClient.Connection now = connection;
                        return now != null
                                ? Mono.just(now)
                                : Mono.error(new IllegalStateException(
                                        s instanceof Closed ? "the client is closed" : "connection lost"));
                    })
                    .doFinally(signal -> requests.stopWaiting());
        });
    }

    static ClientInfo clientInfo(JsonNode c) {
        JsonNode user = c.get("user");
        return new ClientInfo(c.path("client").asText(), user == null || user.isNull() ? null : user.asText());
    }

    /** The connection now, or null. */
    HubClient.@Nullable Connection connection() {
        return connection;
    }

    /** Sends a command on {@code c}; completes with the reply (see {@link Requests#send}). */
    Mono<JsonNode> command(
            HubClient.Connection c,
            String op,
            @Nullable String channel,
            @Nullable Consumer<ObjectNode> fields,
            boolean capped) {
        return requests.send(c, op, channel, fields, capped);
    }

    private void emitState(State state) {
        synchronized (lock) {
            if (closedEmitted) {
                return;
            }
            states.tryEmitNext(state);
            if (state instanceof Closed) {
                closedEmitted = true;
                states.tryEmitComplete();
            }
        }
    }

    private void connectNext() {
        URI url;
        synchronized (lock) {
            if (closed) {
                return;
            }
            attempt++;
            url = urls.get(Math.floorMod(nextUrl++, urls.size()));
            emitState(new Connecting(url, attempt));
        }
        Mono<String> token = tokens == null ? Mono.just("") : tokens.next();
        token.flatMap(t -> HubClient.connect(url, t.isEmpty() ? options.transport() : bearer(t))
                        // A node that takes the TCP connection but never answers the upgrade is given up.
                        .timeout(options.transport().idleTimeout())
                        .map(c -> Map.entry(c, t)))
                .subscribe(opened -> opened(url, opened.getKey(), opened.getValue()), e -> {
                    String why = describe(e);
                    // A refused token or origin is not fixed by retrying.
                    boolean refused =
                            e instanceof HubClient.HandshakeRefusedException && why.matches("^(401|403)\\b.*");
                    lost(null, refused ? -1 : 1006, refused ? "the server refused the connection: " + why : why);
                });
    }

    private HubClient.Options bearer(String token) {
        HubClient.Options t = options.transport();
        Map<String, String> headers = new LinkedHashMap<>(t.headers());
        headers.put("Authorization", "Bearer " + token);
        return new HubClient.Options(
                t.pingInterval(), t.idleTimeout(), t.maxMessageSize(), t.insecure(), headers, t.maxBuffered());
    }

    private void opened(URI url, HubClient.Connection c, String token) {
        synchronized (lock) {
            if (closed) {
                c.close().subscribe();
                return;
            }
            connection = c;
            openedAt = System.nanoTime();
            emitState(new Connected(url));
        }
        if (tokens != null) {
            tokens.start(c, token);
        }
        c.messages().subscribe(m -> onMessage(c, m.text()), e -> ended(c), () -> ended(c));
        subscriptions.values().forEach(s -> s.send(c));
    }

    /** On the event loop: the connection ended; its close status (if any) says why. */
    private void ended(HubClient.Connection c) {
        c.closeStatus()
                .map(status -> new Object[] {status.code(), status.reasonText()})
                .defaultIfEmpty(new Object[] {1006, "no close frame"})
                .subscribe(t -> lost(c, (Integer) t[0], (String) t[1]));
    }

    /**
     * The connection {@code c} (null: an attempt) ended with {@code code} (-1: a refused upgrade).
     * Fails what waits for a reply, then reconnects, or stops for a reason retrying cannot fix.
     */
    private void lost(HubClient.@Nullable Connection c, int code, String reason) {
        requests.failAll(code);
        Duration delay;
        synchronized (lock) {
            if (c != null && connection == c) {
                connection = null;
                if (tokens != null) {
                    tokens.stop();
                }
                if (System.nanoTime() - openedAt >= options.maxBackoff().toNanos()) {
                    attempt = 0; // it lasted: start the backoff again
                }
            }
            if (closed) {
                return;
            }
            if (code == -1 || code == 1008 || (code >= 4000 && code != 4001 && code != 4002 && code != 4003)) {
                close(code == -1 ? reason : code + " " + reason, new IllegalStateException(reason));
                return;
            }
            long capMillis = Math.min(
                    options.maxBackoff().toMillis(),
                    options.minBackoff().toMillis() << Math.min(20, Math.max(0, attempt - 1)));
            // 1001 (shutdown) and 1013 (try again later) mean "reconnect now, elsewhere": at once,
            // once per node; after a whole round of them the backoff applies. 4003 (token
            // expired) with a token supplier: at once too, with a new token.
            boolean now = (code == 1001 || code == 1013 || (code == 4003 && tokens != null)) && attempt < urls.size();
            delay = now
                    ? Duration.ZERO
                    : Duration.ofMillis(ThreadLocalRandom.current().nextLong(capMillis + 1));
            emitState(new Disconnected(code, reason, delay));
        }
        Schedulers.parallel().schedule(this::connectNext, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Under the lock: stops for good; every subscription ends with {@code error} (null: completes). */
    private void close(String reason, @Nullable Throwable error) {
        closed = true;
        HubClient.Connection c = connection;
        connection = null;
        if (tokens != null) {
            tokens.stop();
        }
        emitState(new Closed(reason));
        subscriptions.values().forEach(s -> s.end(error));
        if (c != null) {
            c.close().subscribe();
        }
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
        if (requests.answer(message)) {
            return;
        }
        ChannelSubscription s = subscriptions.get(message.path("channel").asText());
        if (s == null) {
            return;
        }
        JsonNode unsubscribed = message.get("unsubscribed");
        if (unsubscribed != null && unsubscribed.path("code").asInt() == 4005) {
            // A token refresh withdrew the channel: subscribing again would be refused.
            subscriptions.remove(s.channel(), s);
            s.end(new CommandException(
                    ErrorCode.PERMISSION_DENIED.code(),
                    unsubscribed.path("reason").asText()));
        } else if (unsubscribed != null) {
            s.resend(c); // the server lost messages: subscribe again, recovering them
        } else if (message.has("join")) {
            s.presence(true, clientInfo(message.get("join")));
        } else if (message.has("leave")) {
            s.presence(false, clientInfo(message.get("leave")));
        } else if (message.has("offset") && message.has("data")) {
            s.publication(message.path("offset").asLong(), message.get("data"));
        }
    }

    private static String describe(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Closes the connection (1000) and completes every subscription; see {@link #close()}. */
    @Override
    public void dispose() {
        synchronized (lock) {
            if (!closed) {
                close("closed by the application", null);
            }
        }
    }

    /** As {@link #dispose()}; completes once the connection's close handshake is over. */
    public Mono<Void> close() {
        HubClient.Connection c = connection;
        dispose();
        return c == null ? Mono.empty() : c.close();
    }

    @Override
    public boolean isDisposed() {
        return closed;
    }
}
