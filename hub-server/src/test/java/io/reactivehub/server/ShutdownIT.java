package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** SIGTERM on the real server process: what is queued is delivered, then 1001, then exit 0. */
class ShutdownIT {
    private ServerProcess server;

    @AfterEach
    void kill() throws InterruptedException {
        if (server != null) {
            server.kill();
        }
    }

    @Test
    void sigtermDeliversWhatIsQueuedClosesWith1001AndExitsZero() throws Exception {
        server = ServerProcess.start("--shutdown-grace", "20s");
        try {
            sigtermAfterTraffic(server.port, server.process);
        } catch (AssertionError | IOException e) {
            server.process.waitFor(60, TimeUnit.SECONDS);
            throw new AssertionError(e.getMessage() + "\n--- server output ---\n" + server.output(), e);
        }
    }

    private static void sigtermAfterTraffic(int port, Process server) throws Exception {
        try (WsTestClient hub = WsTestClient.connect(port, "/hub");
                WsTestClient raw = WsTestClient.connect(port, "/ws/news")) {
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
