package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import io.reactivehub.server.config.ServerConfig;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Pings, idle timeouts and dead peers, on both ends. */
class HeartbeatIT {
    private final ServerFixture fixture =
            new ServerFixture(ServerConfig.DEFAULT.withHeartbeat(Duration.ofMillis(300), Duration.ofSeconds(3)));

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void aSilentPeerIsPingedThenClosedWith4002AndLeavesItsChannel() throws Exception {
        try (WsTestClient silent = WsTestClient.connect(fixture.port(), "/ws/hb")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> fixture.hub.subscriberCount(ChannelName.of("hb")) == 1);
            int pings = 0;
            while (true) {
                WsTestClient.Frame frame = silent.read();
                if (frame.opcode() == 0x9) {
                    pings++;
                } else if (frame.isClose()) {
                    assertThat(frame.closeCode()).isEqualTo(CloseCodes.IDLE_TIMEOUT);
                    break;
                }
            }
            assertThat(pings).isGreaterThanOrEqualTo(1);
            await().atMost(Duration.ofSeconds(30)).until(() -> fixture.hub.channelCount() == 0);
        }
    }

    @Test
    void aPeerThatAnswersPingsStaysConnectedPastTheIdleTimeout() throws Exception {
        try (WsTestClient alive = WsTestClient.connect(fixture.port(), "/ws/hb")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> fixture.hub.subscriberCount(ChannelName.of("hb")) == 1);
            // Twelve pings take at least 12 x 300 ms, longer than the 3 s idle timeout; the margin
            // between a ping and the timeout (2.7 s) absorbs a loaded machine.
            for (int pings = 0; pings < 12; ) {
                WsTestClient.Frame frame = alive.read();
                assertThat(frame.isClose())
                        .as("closed although it answered every ping")
                        .isFalse();
                if (frame.opcode() == 0x9) {
                    alive.sendFrame(true, 0, 0xA, frame.payload());
                    pings++;
                }
            }
            alive.sendText("still here");
            WsTestClient.Frame echo;
            do {
                echo = alive.read();
            } while (echo.opcode() == 0x9);
            assertThat(echo.text()).isEqualTo("still here");
        }
    }

    @Test
    void theCliClientGivesUpOnAServerThatStopsAnswering() throws Exception {
        try (ServerSocket mute = new ServerSocket(0)) {
            Thread acceptor = new Thread(() -> MuteServer.acceptAndGoSilent(mute));
            acceptor.setDaemon(true);
            acceptor.start();
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    "io.reactivehub.server.cli.HubCommand",
                    "client",
                    "--ping-interval",
                    "300ms",
                    "--idle-timeout",
                    "3s",
                    "ws://127.0.0.1:" + mute.getLocalPort() + "/ws"));
            Process cli = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .start();
            try {
                assertThat(cli.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(cli.exitValue()).isEqualTo(1);
                String err = new String(cli.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                // "connected to ..." first, then the one error line.
                assertThat(err.strip().lines().toList())
                        .hasSize(2)
                        .first()
                        .asString()
                        .startsWith("connected to ");
                assertThat(err.strip().lines().reduce((a, b) -> b).orElseThrow())
                        .startsWith("error: no sign of life from")
                        .doesNotContain("Exception");
            } finally {
                cli.destroyForcibly();
            }
        }
    }
}
