package io.reactivehub.server.http;

import io.netty.channel.Channel;
import io.reactivehub.server.HubMetrics;
import io.reactivehub.server.config.ConnectionLimits;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.NettyPipeline;

/**
 * Connections accepted and not (yet) upgraded to a WebSocket: counted in total and per remote
 * address, each guarded by a {@link RequestGuard} (request deadline, keep-alive timeout). Past
 * either cap a new connection is closed at once, before anything is read. Thread-safe.
 */
final class PendingConnections {
    private static final Logger log = LoggerFactory.getLogger(PendingConnections.class);

    private final ConnectionLimits limits;
    private final HubMetrics metrics;
    private final AtomicInteger total = new AtomicInteger();
    private final Map<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();

    PendingConnections(ConnectionLimits limits, HubMetrics metrics) {
        this.limits = limits;
        this.metrics = metrics;
        metrics.gauge("hub_http_pending_connections", "Connections accepted and not upgraded", total::get);
    }

    /** On a new connection's event loop, once its HTTP codec is in place. */
    void accept(Channel channel) {
        InetAddress ip = ip(channel.remoteAddress());
        String refusal = enter(ip);
        if (refusal != null) {
            metrics.rejected(refusal);
            log.info("closed a new connection from {}: {}", ip == null ? "?" : ip.getHostAddress(), refusal);
            channel.close();
            return;
        }
        channel.pipeline()
                .addAfter(
                        NettyPipeline.HttpCodec,
                        RequestGuard.NAME,
                        new RequestGuard(this, ip, limits.handshakeTimeout(), limits.keepAliveTimeout()));
    }

    /** Counts a new connection in; the reason (a metric tag) when a cap refuses it. */
    private @Nullable String enter(@Nullable InetAddress ip) {
        if (total.incrementAndGet() > limits.maxPendingConnections()) {
            total.decrementAndGet();
            return "max_pending_connections";
        }
        if (ip != null) {
            boolean[] refused = {false};
            // Counted inside the map's atomic section: a concurrent leave cannot drop the entry
            // between the lookup and the increment.
            perIp.compute(ip, (k, n) -> {
                AtomicInteger count = n == null ? new AtomicInteger() : n;
                if (count.get() >= limits.maxPendingConnectionsPerIp()) {
                    refused[0] = true;
                    return n;
                }
                count.incrementAndGet();
                return count;
            });
            if (refused[0]) {
                total.decrementAndGet();
                return "max_pending_connections_per_ip";
            }
        }
        return null;
    }

    /** The connection upgraded or closed: no longer pending. Called once per accepted connection. */
    void leave(@Nullable InetAddress ip) {
        if (ip != null) {
            perIp.computeIfPresent(ip, (k, n) -> n.decrementAndGet() == 0 ? null : n);
        }
        total.decrementAndGet();
    }

    void timedOut(boolean idle) {
        metrics.httpTimeout(idle ? "keep_alive" : "request");
    }

    int size() {
        return total.get();
    }

    private static @Nullable InetAddress ip(@Nullable SocketAddress address) {
        return address instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }
}
