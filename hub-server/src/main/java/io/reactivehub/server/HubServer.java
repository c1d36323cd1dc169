package io.reactivehub.server;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.Hub;
import io.reactivehub.core.codec.DeflateCodec;
import io.reactivehub.core.codec.HubPushCodec;
import io.reactivehub.core.codec.RawFrameCodec;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import reactor.netty.NettyPipeline;
import io.reactivehub.server.auth.Principal;
import io.reactivehub.server.auth.TokenVerifier;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.jspecify.annotations.Nullable;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerRoutes;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * A running hub server: the raw protocol on {@code /ws} (channel {@code default}) and
 * {@code /ws/{channel}}, the hub protocol on {@code /hub}, all on one port. Thread-safe;
 * {@link #close()} stops it.
 */
public final class HubServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HubServer.class);
    /** The raw protocol's channel for a bare {@code /ws}. */
    public static final ChannelName DEFAULT_CHANNEL = ChannelName.of("default");

    private final Hub hub;
    private final ServerConfig config;
    private final DisposableServer server;
    private final Routes routes;

    private HubServer(Hub hub, ServerConfig config, DisposableServer server, Routes routes) {
        this.hub = hub;
        this.config = config;
        this.server = server;
        this.routes = routes;
    }

    /** Binds and starts serving; returns once the port is bound. */
    public static HubServer start(Hub hub, ServerConfig config) {
        return start(hub, config, (r, routes) -> { });
    }

    /**
     * Binds and starts serving, with extra routes registered before the standard ones (the
     * Autobahn conformance entry point adds a raw route on {@code /}).
     */
    static HubServer start(Hub hub, ServerConfig config, BiConsumer<HttpServerRoutes, Routes> extraRoutes) {
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(config, "config");
        Routes routes = new Routes(hub, config);
        HttpServer http = HttpServer.create()
                .host(config.host())
                .port(config.port());
        ServerConfig.TlsFiles tls = config.tls();
        if (tls != null) {
            Http11SslContextSpec ssl = Http11SslContextSpec.forServer(tls.certificateChain().toFile(),
                    tls.privateKey().toFile());
            http = http.secure(spec -> spec.sslContext(ssl));
        }
        DisposableServer server = http
                .route(r -> {
                    extraRoutes.accept(r, routes);
                    r.get("/ws", (req, res) -> routes.raw(req, res, () -> DEFAULT_CHANNEL))
                            .get("/ws/{channel}", routes::rawChannel)
                            .get("/hub", routes::hubProtocol)
                            .post("/api/publish", routes::apiPublish)
                            .get("/api/channels/{channel}/presence", routes::apiPresence)
                            .get("/api/channels/{channel}/history", routes::apiHistory)
                            .get("/health", routes::health)
                            .get("/metrics", routes::metrics);
                })
                .bindNow(Duration.ofSeconds(30));
        if (config.tokens() == null) {
            log.warn("authentication is off: anyone can connect, subscribe and publish (set --jwt-secret or --jwt-public-key)");
        }
        log.info("hub listening on {}:{} ({}; raw protocol on /ws and /ws/{channel}, hub protocol on /hub); "
                        + "max message {} bytes, per-connection queue {} messages / {} bytes, slow consumers: {}",
                config.host(), server.port(), tls != null ? "wss" : "ws", config.maxMessageSize(),
                config.queueLimits().maxMessages(), config.queueLimits().maxBytes(), config.queueLimits().policy());
        return new HubServer(hub, config, server, routes);
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.port();
    }

    public String host() {
        return server.host();
    }

    public Hub hub() {
        return hub;
    }

    public ServerConfig config() {
        return config;
    }

    /** Open WebSocket connections now. */
    public int connections() {
        return routes.context.sessions().size();
    }

    /**
     * Graceful shutdown: stops accepting connections (new upgrades get 503 meanwhile), stops
     * delivering new messages, lets every connection write what is already queued, then closes it
     * with 1001; whatever is still open after {@code grace} is cut. Blocks until done.
     *
     * @return whether every connection closed cleanly within the grace period
     */
    public boolean shutdown(Duration grace) {
        routes.draining = true;
        server.channel().close().awaitUninterruptibly(grace.toMillis());
        int open = connections();
        log.info("shutting down: closing {} connections with {} (grace {})", open, CloseCodes.GOING_AWAY, grace);
        for (Session session : routes.context.sessions()) {
            try {
                session.closeAfterDrain(CloseCodes.GOING_AWAY, "server shutting down", grace);
            } catch (RuntimeException e) {
                // One connection's failure must not leave the others without their close.
                log.warn("shutting down: closing session {} failed: {}", session.id, e.toString());
            }
        }
        boolean clean = routes.awaitNoSessions(grace);
        server.disposeNow(Duration.ofSeconds(5));
        log.info("shut down {}", clean ? "cleanly" : "with connections cut after the grace period");
        return clean;
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(10));
    }

    /** The HTTP side of the routes: validation and upgrade. */
    static final class Routes {
        private final Hub hub;
        private final ServerConfig config;
        private final WebsocketServerSpec spec;
        final SessionContext context;
        private final SharedDeflateHandshaker deflate;
        volatile boolean draining;

        Routes(Hub hub, ServerConfig config) {
            this.hub = hub;
            this.config = config;
            Set<Session> sessions = ConcurrentHashMap.newKeySet();
            int minSize = config.compression().minSize();
            this.context = new SessionContext(hub, config, sessions, new HubMetrics(hub, sessions),
                    new ConcurrentHashMap<>(), new DeflateCodec(RawFrameCodec.INSTANCE, minSize),
                    new DeflateCodec(HubPushCodec.INSTANCE, minSize));
            this.deflate = new SharedDeflateHandshaker(config.maxMessageSize());
            this.spec = WebsocketServerSpec.builder()
                    .maxFramePayloadLength(config.maxMessageSize())
                    .handlePing(false)
                    .compress(false)
                    .build();
        }

        Publisher<Void> rawChannel(HttpServerRequest req, HttpServerResponse res) {
            String name = req.param("channel");
            if (name == null || !ChannelName.isValid(name)) {
                return res.status(HttpResponseStatus.BAD_REQUEST)
                        .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                        .sendString(reactor.core.publisher.Mono.just(
                                "invalid channel name: 1 to " + ChannelName.MAX_LENGTH
                                        + " characters from A-Z a-z 0-9 _ - . : @ = ~\n"));
            }
            ChannelName channel = ChannelName.of(name);
            return raw(req, res, () -> channel);
        }

        Publisher<Void> raw(HttpServerRequest req, HttpServerResponse res, Supplier<ChannelName> channel) {
            return open(req, res, principal -> new RawSession(context, channel.get(), ip(req), principal));
        }

        Publisher<Void> hubProtocol(HttpServerRequest req, HttpServerResponse res) {
            return open(req, res, principal -> new HubProtocolSession(context, ip(req), principal));
        }

        /** Every check before an upgrade, then the upgrade into the session {@code sessions} makes. */
        private Publisher<Void> open(HttpServerRequest req, HttpServerResponse res,
                                     java.util.function.Function<@Nullable Principal, Session> sessions) {
            if (!isUpgrade(req)) {
                return upgradeRequired(res);
            }
            Publisher<Void> refused = admit(req, res);
            if (refused != null) {
                return refused;
            }
            Auth auth = authenticate(req);
            if (auth.error() != null) {
                return unauthorized(req, res, auth.error());
            }
            Session session = sessions.apply(auth.principal());
            if (config.compression().enabled()) {
                offerCompression(req);
            }
            return res.sendWebsocket(session::handle, spec);
        }

        /**
         * Puts a permessage-deflate negotiator in front of the upgrade (as Reactor Netty does for its
         * own compression): it reads the offer now and answers it in the 101 response.
         */
        private void offerCompression(HttpServerRequest req) {
            String offered = req.requestHeaders().get(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS);
            if (offered == null || !offered.contains(SharedDeflateHandshaker.PERMESSAGE_DEFLATE)) {
                return;
            }
            req.withConnection(connection -> {
                ChannelPipeline pipeline = connection.channel().pipeline();
                WebSocketServerExtensionHandler extensions = new WebSocketServerExtensionHandler(deflate);
                DefaultFullHttpRequest copy = new DefaultFullHttpRequest(req.version(), req.method(), req.uri());
                copy.headers().set(req.requestHeaders());
                try {
                    extensions.channelRead(pipeline.context(NettyPipeline.ReactiveBridge), copy);
                    pipeline.addAfter(NettyPipeline.HttpCodec, "hub.wsExtensions", extensions);
                } catch (Exception e) {
                    log.warn("cannot negotiate compression, continuing without: {}", e.toString());
                }
            });
        }

        private static String ip(HttpServerRequest req) {
            java.net.InetSocketAddress remote = req.remoteAddress();
            return remote == null ? "unknown" : remote.getAddress() == null ? remote.getHostString()
                    : remote.getAddress().getHostAddress();
        }

        /**
         * The checks before an upgrade, cheapest refusal first. Returns the refusal, or null when
         * the connection may proceed. Counts are of open sessions, so a burst of simultaneous
         * upgrades can overshoot a limit by the upgrades in flight.
         */
        private Publisher<Void> admit(HttpServerRequest req, HttpServerResponse res) {
            if (draining) {
                return refuse(res, HttpResponseStatus.SERVICE_UNAVAILABLE, "shutdown", "server shutting down");
            }
            ConnectionLimits limits = config.limits();
            String origin = req.requestHeaders().get(HttpHeaderNames.ORIGIN);
            if (!limits.originAllowed(origin)) {
                log.info("refused a connection from {}: origin {} is not allowed", ip(req), origin);
                return refuse(res, HttpResponseStatus.FORBIDDEN, "origin", "origin not allowed");
            }
            if (context.sessions().size() >= limits.maxConnections()) {
                log.warn("refused a connection from {}: {} connections open, the maximum", ip(req),
                        limits.maxConnections());
                return refuse(res, HttpResponseStatus.SERVICE_UNAVAILABLE, "max_connections", "too many connections");
            }
            if (!context.ipHasRoom(ip(req))) {
                log.info("refused a connection from {}: {} connections from that address, the maximum", ip(req),
                        limits.maxConnectionsPerIp());
                return refuse(res, HttpResponseStatus.TOO_MANY_REQUESTS, "max_connections_per_ip",
                        "too many connections from your address");
            }
            return null;
        }

        /** Who is connecting: no principal when the hub runs open; an error when a token is required and bad. */
        private record Auth(@Nullable Principal principal, @Nullable String error) {
        }

        private Auth authenticate(HttpServerRequest req) {
            TokenVerifier tokens = config.tokens();
            if (tokens == null) {
                return new Auth(null, null);
            }
            String token = token(req);
            if (token == null) {
                return new Auth(null, "missing token: send Authorization: Bearer <jwt> or ?token=<jwt>");
            }
            try {
                return new Auth(tokens.verify(token), null);
            } catch (TokenVerifier.InvalidTokenException e) {
                return new Auth(null, e.getMessage());
            }
        }

        private static @Nullable String token(HttpServerRequest req) {
            String header = req.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
            if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return header.substring(7).trim();
            }
            List<String> query = new QueryStringDecoder(req.uri()).parameters().get("token");
            return query == null || query.isEmpty() ? null : query.get(0);
        }

        private Publisher<Void> unauthorized(HttpServerRequest req, HttpServerResponse res, String why) {
            log.info("refused a connection from {}: {}", ip(req), why);
            context.metrics().authFailure();
            return res.status(HttpResponseStatus.UNAUTHORIZED)
                    .header(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer")
                    .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .sendString(reactor.core.publisher.Mono.just(why + "\n"));
        }

        private Publisher<Void> refuse(HttpServerResponse res, HttpResponseStatus status, String reason, String text) {
            context.metrics().rejected(reason);
            return res.status(status)
                    .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .sendString(reactor.core.publisher.Mono.just(text + "\n"));
        }

        /**
         * {@code POST /api/publish} with {@code Authorization: apikey <key>} and
         * {@code {"channel":"room","data":<any JSON>}}: a backend publishes without a WebSocket.
         * 200 with the offset and subscriber count; 400 for a bad body or channel; 401 for a missing
         * or wrong key; 404 when no API key is configured (the endpoint is off).
         */
        Publisher<Void> apiPublish(HttpServerRequest req, HttpServerResponse res) {
            Publisher<Void> refused = refuseWithoutApiKey(req, res);
            if (refused != null) {
                return refused;
            }
            return req.receive().aggregate().asByteArray().defaultIfEmpty(new byte[0]).flatMap(body -> {
                com.fasterxml.jackson.databind.JsonNode command;
                try {
                    command = HubProtocolSession.JSON.readTree(body);
                } catch (java.io.IOException e) {
                    command = null;
                }
                if (command == null || !command.isObject()) {
                    return reactor.core.publisher.Mono.from(json(res, HttpResponseStatus.BAD_REQUEST,
                            error(ErrorCode.MALFORMED, "the body is a JSON object {\"channel\":...,\"data\":...}")));
                }
                com.fasterxml.jackson.databind.JsonNode channel = command.get("channel");
                com.fasterxml.jackson.databind.JsonNode data = command.get("data");
                if (channel == null || !channel.isTextual() || !ChannelName.isValid(channel.asText())) {
                    return reactor.core.publisher.Mono.from(json(res, HttpResponseStatus.BAD_REQUEST,
                            error(ErrorCode.INVALID_CHANNEL, "'channel' must be a valid channel name")));
                }
                if (data == null) {
                    return reactor.core.publisher.Mono.from(json(res, HttpResponseStatus.BAD_REQUEST,
                            error(ErrorCode.MISSING_FIELD, "missing field 'data'")));
                }
                byte[] payload = HubProtocolSession.payload(data);
                long start = System.nanoTime();
                return hub.publish(ChannelName.of(channel.asText()), payload, io.reactivehub.core.PayloadType.JSON)
                        .flatMap(result -> {
                            context.metrics().published(payload.length, result.subscribers(), start);
                            com.fasterxml.jackson.databind.node.ObjectNode reply = HubProtocolSession.JSON.createObjectNode();
                            reply.put("ok", true);
                            reply.put("offset", result.offset());
                            reply.put("epoch", result.epoch());
                            reply.put("subscribers", result.subscribers());
                            return reactor.core.publisher.Mono.from(json(res, HttpResponseStatus.OK, reply.toString()));
                        })
                        .onErrorResume(e -> reactor.core.publisher.Mono.from(failure(res, "publish", e)));
            });
        }

        /** 404 when the API is off (no key configured), 401 for a missing or wrong key, null when the key is right. */
        private @Nullable Publisher<Void> refuseWithoutApiKey(HttpServerRequest req, HttpServerResponse res) {
            String key = config.apiKey();
            if (key == null) {
                return json(res, HttpResponseStatus.NOT_FOUND, error(ErrorCode.UNKNOWN_OP, "the server API is off (no --api-key)"));
            }
            String auth = req.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
            if (auth == null || !auth.regionMatches(true, 0, "apikey ", 0, 7)
                    || !java.security.MessageDigest.isEqual(auth.substring(7).trim().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    key.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
                context.metrics().authFailure();
                return json(res, HttpResponseStatus.UNAUTHORIZED, error(ErrorCode.PERMISSION_DENIED, "missing or wrong API key"));
            }
            return null;
        }

        /** A failed hub operation as an HTTP error: 503 broker unavailable, 404 not enabled, 400 bad input, 500 else. */
        private Publisher<Void> failure(HttpServerResponse res, String what, Throwable e) {
            ErrorCode code = e instanceof io.reactivehub.core.HubException he ? he.errorCode() : ErrorCode.INTERNAL;
            if (code == ErrorCode.UNAVAILABLE) {
                context.metrics().brokerUnavailable();
            }
            HttpResponseStatus status = switch (code) {
                case UNAVAILABLE, HUB_CLOSED -> HttpResponseStatus.SERVICE_UNAVAILABLE;
                case NOT_ENABLED -> HttpResponseStatus.NOT_FOUND;
                case INTERNAL -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
                default -> HttpResponseStatus.BAD_REQUEST;
            };
            if (code == ErrorCode.INTERNAL) {
                log.error("server API: {} failed", what, e);
            }
            return json(res, status, error(code, String.valueOf(e.getMessage())));
        }

        /** The {@code {channel}} path parameter, validated; null (after answering 400) when invalid. */
        private static @Nullable ChannelName pathChannel(HttpServerRequest req) {
            String raw = req.param("channel");
            if (raw == null) {
                return null;
            }
            String name = QueryStringDecoder.decodeComponent(raw);
            return ChannelName.isValid(name) ? ChannelName.of(name) : null;
        }

        /** {@code GET /api/channels/{channel}/presence}: who is subscribed, on every node. */
        Publisher<Void> apiPresence(HttpServerRequest req, HttpServerResponse res) {
            return channelQuery(req, res, "presence", channel -> hub.presence(channel).map(clients -> {
                com.fasterxml.jackson.databind.node.ObjectNode reply = HubProtocolSession.JSON.createObjectNode();
                reply.put("ok", true);
                HubProtocolSession.clientsInto(reply, clients);
                return reply;
            }));
        }

        /** {@code GET /api/channels/{channel}/history?limit=N&since=OFFSET}: the kept messages, oldest first. */
        Publisher<Void> apiHistory(HttpServerRequest req, HttpServerResponse res) {
            return channelQuery(req, res, "history", channel -> {
                QueryStringDecoder query = new QueryStringDecoder(req.uri());
                long limit;
                Long since;
                try {
                    limit = longParam(query, "limit", 100);
                    since = query.parameters().containsKey("since") ? longParam(query, "since", 0) : null;
                } catch (IllegalArgumentException e) {
                    return reactor.core.publisher.Mono.error(
                            new io.reactivehub.core.HubException(ErrorCode.INVALID_FIELD, e.getMessage()));
                }
                return hub.history(channel, since, (int) Math.min(Integer.MAX_VALUE, limit)).map(history -> {
                    com.fasterxml.jackson.databind.node.ObjectNode reply = HubProtocolSession.JSON.createObjectNode();
                    reply.put("ok", true);
                    HubProtocolSession.historyInto(reply, history);
                    return reply;
                });
            });
        }

        /**
         * A read about one channel of the server API: the key checked, the {@code {channel}} path
         * parameter validated (400), the query's answer sent as JSON, its failure as an HTTP error.
         */
        private Publisher<Void> channelQuery(HttpServerRequest req, HttpServerResponse res, String what,
                                             java.util.function.Function<ChannelName,
                                                     reactor.core.publisher.Mono<com.fasterxml.jackson.databind.node.ObjectNode>> query) {
            Publisher<Void> refused = refuseWithoutApiKey(req, res);
            if (refused != null) {
                return refused;
            }
            ChannelName channel = pathChannel(req);
            if (channel == null) {
                return json(res, HttpResponseStatus.BAD_REQUEST, error(ErrorCode.INVALID_CHANNEL, "invalid channel name"));
            }
            return query.apply(channel)
                    .flatMap(reply -> reactor.core.publisher.Mono.from(json(res, HttpResponseStatus.OK, reply.toString())))
                    .onErrorResume(e -> reactor.core.publisher.Mono.from(failure(res, what, e)));
        }

        private static long longParam(QueryStringDecoder query, String name, long absent) {
            List<String> values = query.parameters().get(name);
            if (values == null || values.isEmpty()) {
                return absent;
            }
            try {
                long v = Long.parseLong(values.get(0));
                if (v < 0) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + name + "' must be a whole number >= 0");
            }
        }

        private static String error(ErrorCode code, String message) {
            com.fasterxml.jackson.databind.node.ObjectNode reply = HubProtocolSession.JSON.createObjectNode();
            reply.set("error", HubProtocolSession.error(code, message));
            return reply.toString();
        }

        private static Publisher<Void> json(HttpServerResponse res, HttpResponseStatus status, String body) {
            return res.status(status)
                    .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .sendString(reactor.core.publisher.Mono.just(body));
        }

        /** 200 with a small JSON status while serving, 503 while shutting down. */
        Publisher<Void> health(HttpServerRequest req, HttpServerResponse res) {
            String body = "{\"status\":\"" + (draining ? "DRAINING" : "UP") + "\",\"connections\":"
                    + context.sessions().size() + ",\"channels\":" + hub.channelCount() + "}";
            return res.status(draining ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK)
                    .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .sendString(reactor.core.publisher.Mono.just(body));
        }

        /** Prometheus text exposition of the hub_* meters. */
        Publisher<Void> metrics(HttpServerRequest req, HttpServerResponse res) {
            return res.header(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                    .sendString(reactor.core.publisher.Mono.fromCallable(context.metrics()::scrape));
        }

        boolean awaitNoSessions(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (context.sessions()) {
                while (!context.sessions().isEmpty()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    try {
                        // Woken by Session.release; the timeout only bounds the wait.
                        context.sessions().wait(Math.max(1, left / 1_000_000), 0);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
                return true;
            }
        }



        private static boolean isUpgrade(HttpServerRequest req) {
            return req.requestHeaders().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
        }

        private static Publisher<Void> upgradeRequired(HttpServerResponse res) {
            return res.status(HttpResponseStatus.UPGRADE_REQUIRED)
                    .header(HttpHeaderNames.UPGRADE, "websocket")
                    .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .sendString(reactor.core.publisher.Mono.just("this endpoint speaks WebSocket only\n"));
        }
    }
}
