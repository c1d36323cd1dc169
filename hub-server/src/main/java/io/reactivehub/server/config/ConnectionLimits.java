package io.reactivehub.server.config;

import io.reactivehub.core.Durations;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Abuse limits. Each is checked where it is cheapest to refuse: connection counts and origins
 * before the upgrade (HTTP 503, 429, 403), subscriptions and publish rates per command.
 *
 * @param maxConnections      open WebSocket connections, over all clients; more get HTTP 503
 *                            ({@value #DEFAULT_MAX_CONNECTIONS} by default)
 * @param maxConnectionsPerIp open connections from one remote address; more get HTTP 429
 *                            ({@value #DEFAULT_MAX_CONNECTIONS_PER_IP} by default)
 * @param maxSubscriptions    channels one hub-protocol connection may subscribe to; more get
 *                            error 110 ({@value #DEFAULT_MAX_SUBSCRIPTIONS} by default)
 * @param publishRate         messages per second one connection may publish, sustained; 0 turns the
 *                            limit off ({@value #DEFAULT_PUBLISH_RATE} by default)
 * @param publishBurst        messages a connection may publish at once above the rate (token bucket
 *                            size; {@value #DEFAULT_PUBLISH_BURST} by default)
 * @param allowedOrigins      browser origins (e.g. {@code https://app.example.com}) allowed to open
 *                            connections; a request with another {@code Origin} header gets HTTP 403.
 *                            Empty (the default) allows every origin; requests without an Origin
 *                            header (non-browser clients) are always allowed
 * @param handshakeTimeout    a new connection's first request (headers and body) must arrive within
 *                            this, and every later request's body; else the connection is closed
 *                            ({@code 5s} by default)
 * @param keepAliveTimeout    a connection that has not upgraded and waits for its next HTTP request
 *                            this long is closed ({@code 30s} by default)
 * @param maxPendingConnections      connections accepted and not upgraded (handshaking, or HTTP
 *                            requests), over all clients; more are closed at once
 *                            ({@value #DEFAULT_MAX_PENDING_CONNECTIONS} by default)
 * @param maxPendingConnectionsPerIp the same, from one remote address
 *                            ({@value #DEFAULT_MAX_PENDING_CONNECTIONS_PER_IP} by default)
 * @param commandRate         hub-protocol commands other than publish (subscribe, unsubscribe,
 *                            history, presence, refresh, ping) one connection may send per second,
 *                            sustained; more get error 111 ({@value #DEFAULT_COMMAND_RATE} by default)
 * @param commandBurst        such commands a connection may send at once above the rate
 *                            ({@value #DEFAULT_COMMAND_BURST} by default)
 * @param maxConnectionsPerUser open connections of one user (a token's subject, or the user the
 *                            connect hook names; anonymous connections are not counted) on this
 *                            node; more are closed at once with 4007
 *                            ({@value #DEFAULT_MAX_CONNECTIONS_PER_USER} by default)
 */
public record ConnectionLimits(
        int maxConnections,
        int maxConnectionsPerIp,
        int maxSubscriptions,
        int publishRate,
        int publishBurst,
        List<String> allowedOrigins,
        Duration handshakeTimeout,
        Duration keepAliveTimeout,
        int maxPendingConnections,
        int maxPendingConnectionsPerIp,
        int commandRate,
        int commandBurst,
        int maxConnectionsPerUser) {
    public static final int DEFAULT_MAX_CONNECTIONS = 100_000;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 20_000;
    public static final int DEFAULT_MAX_SUBSCRIPTIONS = 1000;
    public static final int DEFAULT_PUBLISH_RATE = 0;
    public static final int DEFAULT_PUBLISH_BURST = 100;
    public static final String DEFAULT_HANDSHAKE_TIMEOUT = "5s";
    public static final String DEFAULT_KEEP_ALIVE_TIMEOUT = "30s";
    public static final int DEFAULT_MAX_PENDING_CONNECTIONS = 10_000;
    public static final int DEFAULT_MAX_PENDING_CONNECTIONS_PER_IP = 1000;
    public static final int DEFAULT_COMMAND_RATE = 50;
    public static final int DEFAULT_COMMAND_BURST = 200;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_USER = 100;
    /** Publishes (or other commands) refused in a row after which a connection is closed with 1008. */
    public static final int ABUSE_THRESHOLD = 100;

    public static final ConnectionLimits DEFAULT = new ConnectionLimits(
            DEFAULT_MAX_CONNECTIONS,
            DEFAULT_MAX_CONNECTIONS_PER_IP,
            DEFAULT_MAX_SUBSCRIPTIONS,
            DEFAULT_PUBLISH_RATE,
            DEFAULT_PUBLISH_BURST,
            List.of());

    /** The first six limits, with the defaults of the handshake's. */
    public ConnectionLimits(
            int maxConnections,
            int maxConnectionsPerIp,
            int maxSubscriptions,
            int publishRate,
            int publishBurst,
            List<String> allowedOrigins) {
        this(
                maxConnections,
                maxConnectionsPerIp,
                maxSubscriptions,
                publishRate,
                publishBurst,
                allowedOrigins,
                Durations.parse(DEFAULT_HANDSHAKE_TIMEOUT),
                Durations.parse(DEFAULT_KEEP_ALIVE_TIMEOUT),
                DEFAULT_MAX_PENDING_CONNECTIONS,
                DEFAULT_MAX_PENDING_CONNECTIONS_PER_IP,
                DEFAULT_COMMAND_RATE,
                DEFAULT_COMMAND_BURST,
                DEFAULT_MAX_CONNECTIONS_PER_USER);
    }

    /** The first twelve limits, with the default per-user connection limit. */
    public ConnectionLimits(
            int maxConnections,
            int maxConnectionsPerIp,
            int maxSubscriptions,
            int publishRate,
            int publishBurst,
            List<String> allowedOrigins,
            Duration handshakeTimeout,
            Duration keepAliveTimeout,
            int maxPendingConnections,
            int maxPendingConnectionsPerIp,
            int commandRate,
            int commandBurst) {
        this(
                maxConnections,
                maxConnectionsPerIp,
                maxSubscriptions,
                publishRate,
                publishBurst,
                allowedOrigins,
                handshakeTimeout,
                keepAliveTimeout,
                maxPendingConnections,
                maxPendingConnectionsPerIp,
                commandRate,
                commandBurst,
                DEFAULT_MAX_CONNECTIONS_PER_USER);
    }

    public ConnectionLimits {
        positive("maxConnections", maxConnections);
        positive("maxConnectionsPerIp", maxConnectionsPerIp);
        positive("maxSubscriptions", maxSubscriptions);
        if (publishRate < 0) {
            throw new IllegalArgumentException("publishRate must be 0 (off) or positive, was " + publishRate);
        }
        positive("publishBurst", publishBurst);
        allowedOrigins = List.copyOf(Objects.requireNonNull(allowedOrigins, "allowedOrigins"));
        positive("handshakeTimeout", Objects.requireNonNull(handshakeTimeout, "handshakeTimeout"));
        positive("keepAliveTimeout", Objects.requireNonNull(keepAliveTimeout, "keepAliveTimeout"));
        positive("maxPendingConnections", maxPendingConnections);
        positive("maxPendingConnectionsPerIp", maxPendingConnectionsPerIp);
        positive("commandRate", commandRate);
        positive("commandBurst", commandBurst);
        positive("maxConnectionsPerUser", maxConnectionsPerUser);
    }

    private static void positive(String name, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, was " + value);
        }
    }

    public ConnectionLimits withMaxConnections(int max, int perIp) {
        return copy(c -> {
            c.maxConnections = max;
            c.maxConnectionsPerIp = perIp;
        });
    }

    public ConnectionLimits withMaxSubscriptions(int max) {
        return copy(c -> c.maxSubscriptions = max);
    }

    public ConnectionLimits withPublishRate(int rate, int burst) {
        return copy(c -> {
            c.publishRate = rate;
            c.publishBurst = burst;
        });
    }

    public ConnectionLimits withAllowedOrigins(List<String> origins) {
        return copy(c -> c.allowedOrigins = origins);
    }

    /** These limits with another per-user connection limit. */
    public ConnectionLimits withMaxConnectionsPerUser(int max) {
        return copy(c -> c.maxConnectionsPerUser = max);
    }

    /** These limits with another command budget. */
    public ConnectionLimits withCommandRate(int rate, int burst) {
        return copy(c -> {
            c.commandRate = rate;
            c.commandBurst = burst;
        });
    }

    /** These limits with other handshake limits. */
    public ConnectionLimits withHandshake(Duration handshake, Duration keepAlive, int maxPending, int maxPendingPerIp) {
        return copy(c -> {
            c.handshakeTimeout = handshake;
            c.keepAliveTimeout = keepAlive;
            c.maxPendingConnections = maxPending;
            c.maxPendingConnectionsPerIp = maxPendingPerIp;
        });
    }

    /** A copy with some components changed; the compact constructor validates the result. */
    private ConnectionLimits copy(Consumer<Components> change) {
        Components c = new Components(this);
        change.accept(c);
        return new ConnectionLimits(
                c.maxConnections,
                c.maxConnectionsPerIp,
                c.maxSubscriptions,
                c.publishRate,
                c.publishBurst,
                c.allowedOrigins,
                c.handshakeTimeout,
                c.keepAliveTimeout,
                c.maxPendingConnections,
                c.maxPendingConnectionsPerIp,
                c.commandRate,
                c.commandBurst,
                c.maxConnectionsPerUser);
    }

    /** The components, mutable, for {@link #copy}. */
    private static final class Components {
        int maxConnections;
        int maxConnectionsPerIp;
        int maxSubscriptions;
        int publishRate;
        int publishBurst;
        List<String> allowedOrigins;
        Duration handshakeTimeout;
        Duration keepAliveTimeout;
        int maxPendingConnections;
        int maxPendingConnectionsPerIp;
        int commandRate;
        int commandBurst;
        int maxConnectionsPerUser;

        Components(ConnectionLimits from) {
            maxConnections = from.maxConnections;
            maxConnectionsPerIp = from.maxConnectionsPerIp;
            maxSubscriptions = from.maxSubscriptions;
            publishRate = from.publishRate;
            publishBurst = from.publishBurst;
            allowedOrigins = from.allowedOrigins;
            handshakeTimeout = from.handshakeTimeout;
            keepAliveTimeout = from.keepAliveTimeout;
            maxPendingConnections = from.maxPendingConnections;
            maxPendingConnectionsPerIp = from.maxPendingConnectionsPerIp;
            commandRate = from.commandRate;
            commandBurst = from.commandBurst;
            maxConnectionsPerUser = from.maxConnectionsPerUser;
        }
    }

    /** Whether a browser of {@code origin} (null: not a browser) may connect. */
    public boolean originAllowed(@Nullable String origin) {
        return origin == null || allowedOrigins.isEmpty() || allowedOrigins.contains(origin);
    }
}
