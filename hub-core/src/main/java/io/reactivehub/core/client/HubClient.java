package io.reactivehub.core.client;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.reactivehub.core.transport.Heartbeat;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.util.concurrent.Queues;

/**
 * Connects to a hub (raw protocol, hub protocol, or any WebSocket server) and exposes the
 * connection reactively. It answers the server's pings and watches the server the way the server
 * watches clients: after {@code pingInterval} of silence it pings, after {@code idleTimeout} it
 * gives up and ends {@link Connection#messages()} with {@link DeadServerException}.
 *
 * <pre>{@code
 * HubClient.connect(URI.create("ws://localhost:8080/ws/room"))
 *     .flatMapMany(c -> c.send("hello").thenMany(c.messages()))
 *     .subscribe(m -> System.out.println(m.text()));
 * }</pre>
 */
public final class HubClient {
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(25);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

    private HubClient() {}

    /**
     * Client settings.
     *
     * @param pingInterval   ping the server after this much silence (25 s by default)
     * @param idleTimeout    give up on a server silent this long (60 s by default)
     * @param maxMessageSize largest message accepted from the server (16 MiB by default)
     * @param insecure       wss only: accept any server certificate (self-signed, tests); false by default
     * @param headers        extra headers of the upgrade request, e.g. {@code Authorization: Bearer <jwt>}
     *                       (none by default)
     * @param maxBuffered    messages held for a {@link Connection#messages()} subscriber that reads
     *                       slower than the server sends (past that the connection is closed and
     *                       {@code messages()} errors), and messages queued by {@link Connection#send}
     *                       not yet written (past that {@code send} errors); {@value #DEFAULT_MAX_BUFFERED}
     *                       by default, rounded up to a power of two
     */
    public record Options(
            Duration pingInterval,
            Duration idleTimeout,
            int maxMessageSize,
            boolean insecure,
            Map<String, String> headers,
            int maxBuffered) {
        public static final int DEFAULT_MAX_BUFFERED = 16_384;
        public static final Options DEFAULT =
                new Options(DEFAULT_PING_INTERVAL, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_MESSAGE_SIZE, false, Map.of());

        /** Without extra headers. */
        public Options(Duration pingInterval, Duration idleTimeout, int maxMessageSize, boolean insecure) {
            this(pingInterval, idleTimeout, maxMessageSize, insecure, Map.of());
        }

        /** With {@link #DEFAULT_MAX_BUFFERED}. */
        public Options(
                Duration pingInterval,
                Duration idleTimeout,
                int maxMessageSize,
                boolean insecure,
                Map<String, String> headers) {
            this(pingInterval, idleTimeout, maxMessageSize, insecure, headers, DEFAULT_MAX_BUFFERED);
        }

        public Options {
            // In the caller's order: with two spellings of one header name, the last one wins.
            headers = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(headers, "headers")));
            Objects.requireNonNull(pingInterval, "pingInterval");
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            if (idleTimeout.compareTo(pingInterval) <= 0) {
                throw new IllegalArgumentException("idleTimeout must be longer than pingInterval");
            }
            if (maxMessageSize < 1) {
                throw new IllegalArgumentException("maxMessageSize must be at least 1, was " + maxMessageSize);
            }
            if (maxBuffered < 1) {
                throw new IllegalArgumentException("maxBuffered must be at least 1, was " + maxBuffered);
            }
        }
    }

    /** Connects with {@link Options#DEFAULT}. */
    public static Mono<Connection> connect(URI url) {
        return connect(url, Options.DEFAULT);
    }

    /** Connects with the given heartbeat and message limit. */
    public static Mono<Connection> connect(URI url, Duration pingInterval, Duration idleTimeout, int maxMessageSize) {
        return connect(url, new Options(pingInterval, idleTimeout, maxMessageSize, false));
    }

    /**
     * @return completes once the WebSocket is open; errors when the server cannot be reached or
     *     refuses the upgrade
     */
    public static Mono<Connection> connect(URI url, Options options) {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(options, "options");
        Duration pingInterval = options.pingInterval();
        Duration idleTimeout = options.idleTimeout();
        int maxMessageSize = options.maxMessageSize();
        String scheme = String.valueOf(url.getScheme()).toLowerCase(Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            return Mono.error(new IllegalArgumentException(url + " is not a ws:// or wss:// URL"));
        }
        return Mono.defer(() -> {
            Connection connection = new Connection(options.maxBuffered());
            HttpClient client = HttpClient.create();
            if (!options.headers().isEmpty()) {
                client = client.headers(h -> options.headers().forEach(h::set));
            }
            if (scheme.equals("wss")) {
                client = options.insecure()
                        ? client.secure(spec -> spec.sslContext(Http11SslContextSpec.forClient()
                                .configure(b -> b.trustManager(InsecureTrustManagerFactory.INSTANCE))))
                        : client.secure();
            }
            Disposable running = client.websocket(WebsocketClientSpec.builder()
                            .maxFramePayloadLength(maxMessageSize)
                            .build())
                    .uri(url)
                    .handle((in, out) -> {
                        in.withConnection(c -> connection.channel = c.channel());
                        in.withConnection(c ->
                                c.addHandlerLast("hub.heartbeat", new Heartbeat(pingInterval, idleTimeout, ctx -> {
                                    connection.dead = true;
                                    ctx.close();
                                })));
                        in.receiveCloseStatus().subscribe(connection.closeStatus::tryEmitValue);
                        connection.open.tryEmitValue(connection);
                        Mono<Void> receiving = in.aggregateFrames(maxMessageSize)
                                .receiveFrames()
                                .doOnNext(frame -> {
                                    if (frame instanceof TextWebSocketFrame text) {
                                        connection.emit(new Message(false, ByteBufUtil.getBytes(text.content())));
                                    } else if (frame instanceof BinaryWebSocketFrame binary) {
                                        connection.emit(new Message(true, ByteBufUtil.getBytes(binary.content())));
                                    }
                                })
                                .then();
                        // close(): the outgoing stream completes, a 1000 close follows, and the
                        // connection ends when the server answers it (receiving completes).
                        Mono<Void> sending = out.sendObject(connection.outgoing.asFlux())
                                .then()
                                .then(Mono.defer(() -> out.sendClose(1000, "bye")));
                        return Mono.firstWithSignal(receiving, sending.then(Mono.never()));
                    })
                    .subscribe(null, e -> connection.failed(refusal(e)), connection::ended);
            connection.running = running;
            // Cancelled before it opened (a timeout): the attempt is abandoned, not left running.
            return connection.open.asMono().doOnCancel(connection::dispose);
        });
    }

    /**
     * A refused upgrade says why when the server said so in its response: the hub puts the reason of
     * a 401 in {@code WWW-Authenticate: Bearer error_description="..."} (RFC 6750).
     */
    private static Throwable refusal(Throwable e) {
        if (e instanceof WebSocketClientHandshakeException refused && refused.response() != null) {
            HttpResponse response = refused.response();
            String challenge = response.headers().get(HttpHeaderNames.WWW_AUTHENTICATE);
            Matcher description = challenge == null ? null : ERROR_DESCRIPTION.matcher(challenge);
            if (description != null && description.find()) {
                return new HandshakeRefusedException(
                        response.status() + ": "
                                + description.group(1).replace("\\\"", "\"").replace("\\\\", "\\"),
                        e);
            }
            return new HandshakeRefusedException(String.valueOf(response.status()), e);
        }
        return e;
    }

    private static final Pattern ERROR_DESCRIPTION = Pattern.compile("error_description=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** The server answered the upgrade with another status than 101. */
    public static final class HandshakeRefusedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HandshakeRefusedException(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /** A message received: text (UTF-8) or binary. */
    public record Message(boolean binary, byte[] data) {
        public String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** The server went silent (not even a pong) for the idle timeout. */
    public static final class DeadServerException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DeadServerException() {
            super("no sign of life from the server within the idle timeout", null, false, false);
        }
    }

    /** One open WebSocket connection. Thread-safe. */
    public static final class Connection implements Disposable {
        private final Sinks.One<Connection> open = Sinks.one();
        private final Sinks.Many<Message> incoming;
        private final Sinks.Many<Object> outgoing;
        private final Sinks.One<WebSocketCloseStatus> closeStatus = Sinks.one();
        private final Sinks.Empty<Void> done = Sinks.empty();
        private volatile boolean dead;
        private volatile Disposable running;
        private volatile @Nullable Channel channel;

        private final int maxBuffered;

        private Connection(int maxBuffered) {
            this.maxBuffered = maxBuffered;
            this.incoming = Sinks.many()
                    .unicast()
                    .onBackpressureBuffer(Queues.<Message>get(maxBuffered).get());
            this.outgoing = Sinks.many()
                    .unicast()
                    .onBackpressureBuffer(Queues.get(maxBuffered).get());
        }

        /**
         * Everything the server sends, in order; completes when the connection closes, errors with
         * {@link DeadServerException} when the heartbeat gives up. One subscriber; messages that
         * arrive before it subscribes are buffered, up to {@link Options#maxBuffered()}: a subscriber
         * that falls further behind gets {@link IllegalStateException} and the connection is closed.
         */
        public Flux<Message> messages() {
            return incoming.asFlux();
        }

        /** Queues a text message; completes once it is queued (not once it is sent). */
        public Mono<Void> send(String text) {
            return Mono.fromRunnable(() -> {
                TextWebSocketFrame frame = new TextWebSocketFrame(text);
                Sinks.EmitResult result;
                synchronized (outgoing) { // serializes concurrent senders without spinning
                    result = outgoing.tryEmitNext(frame);
                }
                if (result == Sinks.EmitResult.FAIL_OVERFLOW || result == Sinks.EmitResult.FAIL_ZERO_SUBSCRIBER) {
                    frame.release();
                    throw new IllegalStateException(
                            "more than " + maxBuffered + " messages wait to be sent: the connection is not keeping up");
                }
                if (result.isFailure()) {
                    frame.release();
                    throw new IllegalStateException("connection closed: cannot send (" + result + ")");
                }
            });
        }

        /** The close code and reason the server sent, once it has (empty if it never did). */
        public Mono<WebSocketCloseStatus> closeStatus() {
            return closeStatus.asMono();
        }

        /**
         * Closes cleanly: whatever was sent goes out, then a 1000 close frame; completes once the
         * connection has ended.
         */
        public Mono<Void> close() {
            synchronized (outgoing) {
                outgoing.tryEmitComplete();
            }
            return done.asMono();
        }

        /** Closes the connection at once, without a close handshake. */
        @Override
        public void dispose() {
            outgoing.tryEmitComplete();
            Disposable r = running;
            if (r != null) {
                r.dispose();
            }
        }

        @Override
        public boolean isDisposed() {
            Disposable r = running;
            return r != null && r.isDisposed();
        }

        /** Called on the connection's event loop only, so emissions are serialized. */
        private void emit(Message message) {
            Sinks.EmitResult r = incoming.tryEmitNext(message);
            // A unicast sink whose buffer is full says FAIL_ZERO_SUBSCRIBER until someone subscribes.
            if (r == Sinks.EmitResult.FAIL_OVERFLOW || r == Sinks.EmitResult.FAIL_ZERO_SUBSCRIBER) {
                incoming.tryEmitError(new IllegalStateException(
                        "the subscriber of messages() fell more than " + maxBuffered + " messages behind"));
                Channel c = channel;
                if (c != null) {
                    c.close(); // on its event loop: nothing more is read for nobody
                }
            }
        }

        private void failed(Throwable error) {
            open.tryEmitError(error);
            incoming.tryEmitError(error);
            closeStatus.tryEmitEmpty();
            done.tryEmitEmpty();
        }

        private void ended() {
            open.tryEmitError(new IllegalStateException("connection closed before it opened"));
            if (dead) {
                incoming.tryEmitError(new DeadServerException());
            } else {
                incoming.tryEmitComplete();
            }
            closeStatus.tryEmitEmpty();
            done.tryEmitEmpty();
        }
    }
}
