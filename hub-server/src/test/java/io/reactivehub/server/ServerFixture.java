package io.reactivehub.server;

import io.reactivehub.core.Hub;
import io.reactivehub.core.HubOptions;
import io.reactivehub.server.config.ServerConfig;

/** A real hub server on 127.0.0.1 and a free port, for one test. */
final class ServerFixture implements AutoCloseable {
    final Hub hub;
    final HubServer server;

    ServerFixture(ServerConfig config) {
        this(config, new HubOptions(config.queueLimits()));
    }

    /** A server whose hub has its own options (channel rules, a Redis broker). */
    ServerFixture(ServerConfig config, HubOptions options) {
        this.hub = Hub.create(options);
        this.server = HubServer.start(hub, config.withHost("127.0.0.1").withPort(0));
    }

    ServerFixture() {
        this(ServerConfig.DEFAULT);
    }

    int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
        hub.dispose();
    }
}
