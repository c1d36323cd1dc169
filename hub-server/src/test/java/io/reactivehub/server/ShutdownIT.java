package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** SIGTERM on the real server process: what is queued is delivered, then 1001, then exit 0. */
class ShutdownIT {
    private Process server;
    private ServerProcess started;

    @AfterEach
    void kill() {
        if (server != null) {
            server.destroyForcibly();
        }
    }

    private int startServer() throws Exception {
        started = ServerProcess.start("--shutdown-grace", "20s");
        server = started.process;
        return started.port;
    }

    @Test
    void sigtermDeliversWhatIsQueuedClosesWith1001AndExitsZero() throws Exception {
        int port = startServer();
        try {
            sigtermAfterTraffic(port);
        } catch (AssertionError | java.io.IOException e) {
            server.waitFor(60, TimeUnit.SECONDS);
            throw new AssertionError(e.getMessage() + "\n--- server output ---\n" + started.output(), e);
        }
    }

    private void sigtermAfterTraffic(int port) throws Exception {
        try (WsTestClient hub = WsTestClient.connect(port, "/hub"); WsTestClient raw = WsTestClient.connect(port, "/ws/news")) {
            hub.sendText("{\"id\":1,\"op\":\"subscribe\",\"channel\":\"news\"}");
            assertThat(hub.readText()).matches("\\{\"id\":1,\"ok\":true,\"offset\":0,\"epoch\":\"[0-9a-z]+\"\\}");
            // The raw client reads its own copies back: once it has all 200, every one of them has
            // been put in the hub client's queue, which nobody has read yet.
            raw.sendText("first");
            assertThat(raw.readText()).isEqualTo("first");
            for (int i = 0; i < 200; i++) {
                raw.sendText("m" + i);
            }
            for (int i = 0; i < 200; i++) {
                assertThat(raw.readText()).isEqualTo("m" + i);
            }
            // SIGTERM through the process handle: Process.destroy() would also close our end of
            // the server's stdout/stderr, and the server's shutdown logging would then write into
            // a broken pipe.
            server.toHandle().destroy();
            assertThat(hub.readText()).contains("\"data\":\"first\"");
            for (int i = 0; i < 200; i++) {
                assertThat(hub.readText()).contains("\"data\":\"m" + i + "\"");
            }
            assertThat(hub.readCloseCode()).isEqualTo(CloseCodes.GOING_AWAY);
            assertThat(raw.readCloseCode()).isEqualTo(CloseCodes.GOING_AWAY);
        }
        assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(server.exitValue()).isZero();
    }
}
