package io.reactivehub.server;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Hub;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.DisposableServer;
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

    private HubServer(Hub hub, ServerConfig config, DisposableServer server) {
        this.hub = hub;
        this.config = config;
        this.server = server;
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
        DisposableServer server = HttpServer.create()
                .host(config.host())
                .port(config.port())
                .route(r -> {
                    extraRoutes.accept(r, routes);
                    r.get("/ws", (req, res) -> routes.raw(req, res, () -> DEFAULT_CHANNEL))
                            .get("/ws/{channel}", routes::rawChannel)
                            .get("/hub", routes::hubProtocol);
                })
                .bindNow(Duration.ofSeconds(30));
        log.info("hub listening on {}:{} (raw protocol on /ws and /ws/{channel}, hub protocol on /hub); "
                        + "max message {} bytes, per-connection queue {} messages / {} bytes, slow consumers: {}",
                config.host(), server.port(), config.maxMessageSize(), config.queueLimits().maxMessages(),
                config.queueLimits().maxBytes(), config.queueLimits().policy());
        return new HubServer(hub, config, server);
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

    /** Blocks until the server is closed. */
    public void awaitClose() {
        server.onDispose().block();
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

        Routes(Hub hub, ServerConfig config) {
            this.hub = hub;
            this.config = config;
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
            if (!isUpgrade(req)) {
                return upgradeRequired(res);
            }
            RawSession session = new RawSession(hub, config, channel.get());
            return res.sendWebsocket(session::handle, spec);
        }

        Publisher<Void> hubProtocol(HttpServerRequest req, HttpServerResponse res) {
            if (!isUpgrade(req)) {
                return upgradeRequired(res);
            }
            HubProtocolSession session = new HubProtocolSession(hub, config);
            return res.sendWebsocket(session::handle, spec);
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
