package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.testing.RedisProcess;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What the real server (its own JVM, the application's logback.xml) writes to its log when clients
 * misbehave: client text escaped on one line and cut short, at most a few lines per connection,
 * nothing at ERROR and no stack traces.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LogHygieneIT {
    private ServerProcess server;

    @BeforeAll
    void start() throws Exception {
        server = ServerProcess.start();
    }

    @AfterAll
    void stop() throws InterruptedException {
        server.kill();
    }

    /**
     * Logs a line from a connection of its own and waits until the server's output has it: every
     * line the server wrote before is then in {@link #lines()}.
     */
    private void syncLog() throws Exception {
        String marker = "marker" + UUID.randomUUID().toString().replace("-", "");
        try (WsTestClient c = WsTestClient.connect(server.port, "/hub")) {
            c.sendText("{\"op\":\"" + marker + "\"}");
            assertThat(c.readText()).contains("\"code\":102");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> server.output().contains("unknown op '" + marker + "'"));
    }

    private List<String> lines() {
        return server.output().lines().toList();
    }

    @Test
    void aNewlineInAnUnknownOpCannotForgeALogLine() throws Exception {
        try (WsTestClient c = WsTestClient.connect(server.port, "/hub")) {
            c.sendText("{\"id\":1,\"op\":\"x\\n00:00:00.000 ERROR [main] HubServer - forged\\u001b[2J\"}");
            assertThat(c.readText()).contains("\"code\":102");
        }
        syncLog();
        assertThat(lines()).noneMatch(line -> line.startsWith("00:00:00.000 ERROR"));
        assertThat(lines())
                .anyMatch(line ->
                        line.contains("unknown op 'x\\n00:00:00.000 ERROR [main] HubServer - forged\\u001b[2J'"));
        assertThat(server.output()).doesNotContain("\u001b");
    }

    @Test
    void aLongUnknownOpIsCutShort() throws Exception {
        try (WsTestClient c = WsTestClient.connect(server.port, "/hub")) {
            c.sendText("{\"id\":1,\"op\":\"long" + "y".repeat(60_000) + "\"}");
            assertThat(c.readText()).contains("\"code\":102");
        }
        syncLog();
        String line = lines().stream()
                .filter(l -> l.contains("unknown op 'longyyy"))
                .findFirst()
                .orElseThrow();
        assertThat(line).hasSizeLessThan(500).contains("more)");
    }

    @Test
    void refusalsOfOneConnectionAreLoggedTenTimesAMinuteThenSuppressed() throws Exception {
        try (WsTestClient c = WsTestClient.connect(server.port, "/hub")) {
            for (int i = 0; i < 30; i++) {
                c.sendText("{\"id\":" + i + ",\"op\":\"burst\"}");
            }
            for (int i = 0; i < 30; i++) {
                assertThat(c.readText()).contains("\"code\":102");
            }
        }
        syncLog();
        assertThat(lines()).filteredOn(l -> l.contains("unknown op 'burst'")).hasSize(10);
        assertThat(lines())
                .filteredOn(l -> l.contains("further messages suppressed"))
                .hasSize(1);
    }

    @Test
    void aRedisPasswordIsNeverPrinted() throws Exception {
        int closed = RedisProcess.freePort();
        ServerProcess.Exited exited = ServerProcess.runToExit(
                "--host", "127.0.0.1", "--port", "0", "--redis", "redis://:s3cretPassw0rd@127.0.0.1:" + closed);
        assertThat(exited.exitCode()).as(exited.output()).isEqualTo(1);
        assertThat(exited.output()).contains("redis://***@127.0.0.1:" + closed).doesNotContain("s3cretPassw0rd");
    }

    @Test
    void aCloseInTheMiddleOfAFragmentedMessageIsNoErrorAndNoStackTrace() throws Exception {
        int before = lines().size();
        try (WsTestClient c = WsTestClient.connect(server.port, "/ws/fragments")) {
            c.sendFrame(false, 0, 0x1, "half a mess".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            c.sendClose(1000);
            c.readCloseCode();
        }
        try (WsTestClient c = WsTestClient.connect(server.port, "/hub")) {
            c.sendFrame(false, 0, 0x1, "{\"op\":".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            c.sendClose(1000);
            c.readCloseCode();
        }
        syncLog();
        List<String> written = lines().subList(before, lines().size());
        assertThat(written)
                .as(String.join("\n", written))
                .noneMatch(line -> line.contains(" ERROR "))
                .noneMatch(line -> line.startsWith("\tat ") || line.contains("Exception:"));
    }

    @Test
    void aCleanShutdownWithRedisLogsNoWarningOrError() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                ServerProcess node = ServerProcess.start(
                        "--redis", redis.uri(), "--channel-options", "room:*=history:10,presence,join-leave")) {
            try (WsTestClient hub = WsTestClient.connect(node.port, "/hub");
                    WsTestClient raw = WsTestClient.connect(node.port, "/ws/room:2")) {
                hub.sendText("{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\",\"joinLeave\":true}");
                assertThat(hub.readText()).contains("\"ok\":true");
                hub.sendText("{\"id\":2,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":1}");
                raw.sendText("x");
                assertThat(raw.readText()).isEqualTo("x");
                node.process.toHandle().destroy(); // SIGTERM
                assertThat(hub.readCloseCode()).isEqualTo(CloseCodes.GOING_AWAY);
            }
            assertThat(node.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS))
                    .isTrue();
            String output = node.output();
            assertThat(node.process.exitValue()).as(output).isZero();
            assertThat(output.lines())
                    .as(output)
                    .filteredOn(line -> !line.contains("authentication is off"))
                    .noneMatch(line -> line.contains(" WARN ") || line.contains(" ERROR "))
                    .noneMatch(line -> line.startsWith("\tat "));
        }
    }
}
