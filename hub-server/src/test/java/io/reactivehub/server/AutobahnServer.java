package io.reactivehub.server;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Hub;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.SlowConsumerPolicy;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.http.HubRoutes;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import reactor.netty.http.server.HttpServer;

/**
 * Entry point for the Autobahn TestSuite fuzzing client (run by the build, from the test
 * classpath): the hub's real routes with its raw protocol also on {@code /}, each connection on a
 * channel of its own, so broadcast is an echo. Limits are raised to what the suite sends (16 MiB
 * messages, bursts of thousands of frames).
 */
public final class AutobahnServer {
    private AutobahnServer() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String host = InetAddress.getLocalHost().getHostAddress();
        ServerConfig config = ServerConfig.DEFAULT
                .withHost(host)
                .withPort(port)
                .withMaxMessageSize(20 * 1024 * 1024)
                .withQueueLimits(new QueueLimits(1_000_000, 512L * 1024 * 1024, SlowConsumerPolicy.DISCONNECT));
        HubRoutes routes = new HubRoutes(Hub.create(), config);
        AtomicLong connections = new AtomicLong();
        HttpServer.create()
                .host(host)
                .port(port)
                .route(r -> routes.register(r)
                        .get(
                                "/",
                                (req, res) -> routes.raw(
                                        req, res, ChannelName.of("autobahn-" + connections.incrementAndGet()))))
                .bindNow(Duration.ofSeconds(30));
    }
}
