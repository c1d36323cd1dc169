package io.reactivehub.server;

import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.reactivehub.core.Durations;
import io.reactivehub.core.Hub;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.http.HubRoutes;
import io.reactivehub.server.session.DisconnectReason;
import io.reactivehub.server.session.Session;
import io.reactivehub.server.session.SessionRegistry;
import io.reactivehub.server.webhook.WebhookSender;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.server.HttpServer;

/**
 * A running hub server: {@link HubRoutes} (the raw protocol on {@code /ws} and
 * {@code /ws/{channel}}, the hub protocol on {@code /hub}, the server API, health and metrics) on
 * one Reactor Netty port. Thread-safe; {@link #shutdown} stops it gracefully, {@link #close()} at once.
 */
public final class HubServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HubServer.class);
    /** On shutdown, how long queued webhook events get to go out. */
    private static final Duration WEBHOOK_FLUSH = Duration.ofSeconds(2);

    private final Hub hub;
    private final ServerConfig config;
    private final DisposableServer server;
    private final HubRoutes routes;
    private final @Nullable WebhookSender webhook;

    private HubServer(
            Hub hub, ServerConfig config, DisposableServer server, HubRoutes routes, @Nullable WebhookSender webhook) {
        this.hub = hub;
        this.config = config;
        this.server = server;
        this.routes = routes;
        this.webhook = webhook;
    }

    /** Binds and starts serving; returns once the port is bound. */
    public static HubServer start(Hub hub, ServerConfig config) {
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(config, "config");
        HubRoutes routes = new HubRoutes(hub, config);
        HttpServer http = HttpServer.create()
                .host(config.host())
                .port(config.port())
                .doOnChannelInit((observer, channel, remote) -> routes.initChannel(channel));
        ServerConfig.TlsFiles tls = config.tls();
        if (tls != null) {
            Http11SslContextSpec ssl = sslContext(tls);
            http = http.secure(spec -> spec.sslContext(ssl));
        }
        DisposableServer server = http.route(routes::register).bindNow(Duration.ofSeconds(30));
        logStarted(config, server.port());
        WebhookSender webhook = null;
        if (config.webhook() != null) {
            webhook = WebhookSender.start(hub, config.webhook());
            routes.metrics().webhook(webhook);
        }
        return new HubServer(hub, config, server, routes, webhook);
    }

    /**
     * TLS 1.3 and 1.2 with the configured suites that this runtime has.
     *
     * @throws IllegalArgumentException when it has none of them
     */
    private static Http11SslContextSpec sslContext(ServerConfig.TlsFiles tls) {
        Http11SslContextSpec spec = Http11SslContextSpec.forServer(
                        tls.certificateChain().toFile(), tls.privateKey().toFile())
                .configure(builder -> builder.protocols(ServerConfig.TlsFiles.PROTOCOLS)
                        .ciphers(tls.ciphers(), SupportedCipherSuiteFilter.INSTANCE));
        List<String> enabled;
        try {
            enabled = spec.sslContext().cipherSuites();
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
        }
        if (enabled.isEmpty()) {
            throw new IllegalArgumentException("none of the TLS cipher suites " + tls.ciphers() + " is supported here");
        }
        log.info("TLS: {} with {} cipher suites ({})", ServerConfig.TlsFiles.PROTOCOLS, enabled.size(), enabled);
        return spec;
    }

    /** What the server does, in the words of its options, once at startup. */
    private static void logStarted(ServerConfig config, int port) {
        String scheme = config.tls() != null ? "wss" : "ws";
        log.info(
                "hub listening on {}:{} ({}): raw protocol on /ws and /ws/{channel}, hub protocol on /hub; "
                        + "health on /health (/health/live, /health/ready), metrics on /metrics",
                config.host(),
                port,
                scheme);
        if (config.tokens() == null) {
            log.warn("authentication is off: anyone can connect, subscribe and publish "
                    + "(set --jwt-secret or --jwt-public-key)");
        } else {
            log.info(
                    "authentication: JWT ({}) required on every connection{}{}",
                    config.tokens().algorithm(),
                    config.tokens().issuer() == null
                            ? ""
                            : ", issuer " + config.tokens().issuer(),
                    config.tokens().audience() == null
                            ? ""
                            : ", audience " + config.tokens().audience());
        }
        log.info(
                "server API (/api/publish, /api/batch, /api/info, ...; /api/openapi.json describes it): {}",
                config.apiKey() != null ? "on" : "off (no --api-key)");
        if (config.apiKey() != null && config.tls() == null && !loopback(config.host())) {
            log.warn(
                    "the server API key travels in clear text to {}: serve TLS (--tls-cert, --tls-key) "
                            + "or bind to a loopback address",
                    config.host());
        }
        if (config.demo()) {
            log.info("browser client on /hub.js (types: /hub.d.ts), chat demo on /demo/ (--no-demo turns them off)");
        }
        QueueLimits queue = config.queueLimits();
        log.info(
                "limits: max message {} bytes, queue {} messages / {} bytes per connection ({} slow consumers), "
                        + "ping every {}, idle timeout {}, compression {}",
                config.maxMessageSize(),
                queue.maxMessages(),
                queue.maxBytes(),
                queue.policy().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                Durations.format(config.pingInterval()),
                Durations.format(config.idleTimeout()),
                config.compression().enabled()
                        ? "on (from " + config.compression().minSize() + " bytes)"
                        : "off");
    }

    private static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
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
        return routes.sessions().size();
    }

    /**
     * The open sessions, with the index of them by user id ({@link SessionRegistry#sessionsOf}):
     * this node's only.
     */
    public SessionRegistry sessions() {
        return routes.sessions();
    }

    /**
     * The server API's operations in Java (publish, broadcast, subscribe, unsubscribe, disconnect,
     * refresh, channels, presence stats, info): with Redis they act on every node.
     */
    public HubControl control() {
        return routes.control();
    }

    /** Connections accepted and not upgraded now (handshaking, or plain HTTP requests). */
    public int pendingConnections() {
        return routes.pendingConnections();
    }

    /**
     * Graceful shutdown: stops accepting connections (new upgrades get 503 meanwhile), stops
     * delivering new messages, lets every connection write what is already queued, then closes it
     * with 1001; whatever is still open after {@code grace} is cut. Blocks until done.
     *
     * @return whether every connection closed cleanly within the grace period
     */
    public boolean shutdown(Duration grace) {
        routes.drain();
        server.channel().close().awaitUninterruptibly(grace.toMillis());
        log.info(
                "shutting down: closing {} connections with {} (grace {})",
                connections(),
                CloseCodes.GOING_AWAY,
                Durations.format(grace));
        for (Session session : routes.sessions().sessions()) {
            try {
                session.closeAfterDrain(DisconnectReason.SHUTDOWN, grace);
            } catch (RuntimeException e) {
                // One connection's failure must not leave the others without their close.
                log.warn("shutting down: closing session {} failed: {}", session.id(), e.toString());
            }
        }
        boolean clean = routes.sessions().awaitEmpty(grace);
        server.disposeNow(Duration.ofSeconds(5));
        if (webhook != null) {
            // The sessions' channels were vacated and their users went offline: send those too.
            webhook.close(WEBHOOK_FLUSH);
        }
        routes.close();
        log.info("shut down {}", clean ? "cleanly" : "with connections cut after the grace period");
        return clean;
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(10));
        if (webhook != null) {
            webhook.close();
        }
        routes.close();
    }
}
