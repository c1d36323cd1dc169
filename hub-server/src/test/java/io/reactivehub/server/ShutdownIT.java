package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** SIGTERM on the real server process: what is queued is delivered, then 1001, then exit 0. */
class ShutdownIT {
    private Process server;

    @AfterEach
    void kill() {
        if (server != null) {
            server.destroyForcibly();
        }
    }

    private int startServer() throws Exception {
        server = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // The application's own logging (INFO start line), not the tests' quieter one.
                "-Dlogback.configurationFile=logback.xml",
                "-cp", System.getProperty("java.class.path"), "io.reactivehub.server.cli.HubCommand",
                "--host", "127.0.0.1", "--port", "0", "--shutdown-grace", "20s"))
                .redirectErrorStream(true).start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            Pattern listening = Pattern.compile("hub listening on 127\\.0\\.0\\.1:(\\d+)");
            try (BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    Matcher m = listening.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
            port.completeExceptionally(new IllegalStateException("server exited before listening"));
        });
        reader.setDaemon(true);
        reader.start();
        return port.get(60, TimeUnit.SECONDS);
    }

    @Test
    void sigtermDeliversWhatIsQueuedClosesWith1001AndExitsZero() throws Exception {
        int port = startServer();
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
            server.destroy(); // SIGTERM
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
