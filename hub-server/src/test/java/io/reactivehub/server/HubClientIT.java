package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.client.HubClient;
import io.reactivehub.server.config.ServerConfig;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** hub-core's Java client against the real server. */
class HubClientIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private ServerFixture fixture = new ServerFixture();

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void itSendsAndReceivesOnAChannel() {
        HubClient.Connection c = HubClient.connect(URI.create("ws://127.0.0.1:" + fixture.port() + "/ws/room"))
                .block(WAIT);
        await().atMost(WAIT).until(() -> fixture.hub.subscriberCount(ChannelName.of("room")) == 1);
        StepVerifier.create(c.send("hello").thenMany(c.messages()).take(1))
                .assertNext(m -> {
                    assertThat(m.text()).isEqualTo("hello");
                    assertThat(m.binary()).isFalse();
                })
                .expectComplete()
                .verify(WAIT);
        c.dispose();
        await().atMost(WAIT).until(() -> fixture.hub.channelCount() == 0);
    }

    @Test
    void aServerCloseEndsTheMessagesAndReportsItsCode() {
        fixture.close();
        fixture = new ServerFixture(ServerConfig.DEFAULT.withMaxMessageSize(8));
        HubClient.Connection c = HubClient.connect(URI.create("ws://127.0.0.1:" + fixture.port() + "/ws"))
                .block(WAIT);
        StepVerifier.create(c.send("longer than eight bytes").thenMany(c.messages()))
                .expectComplete()
                .verify(WAIT);
        StepVerifier.create(c.closeStatus())
                .assertNext(status -> assertThat(status.code()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG))
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void aServerThatStopsAnsweringIsDetected() throws Exception {
        try (ServerSocket mute = new ServerSocket(0)) {
            Thread acceptor = new Thread(() -> MuteServer.acceptAndGoSilent(mute));
            acceptor.setDaemon(true);
            acceptor.start();
            HubClient.Connection c = HubClient.connect(
                            URI.create("ws://127.0.0.1:" + mute.getLocalPort() + "/ws"),
                            Duration.ofMillis(300),
                            Duration.ofSeconds(3),
                            1 << 20)
                    .block(WAIT);
            StepVerifier.create(c.messages())
                    .expectError(HubClient.DeadServerException.class)
                    .verify(WAIT);
        }
    }

    @Test
    void anUnreachableServerFailsTheConnect() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        StepVerifier.create(HubClient.connect(URI.create("ws://127.0.0.1:" + port + "/ws")))
                .expectError()
                .verify(WAIT);
    }

    @Test
    void anApplicationThatDoesNotReadGetsAnErrorInsteadOfAnUnboundedBuffer() {
        HubClient.Options small = new HubClient.Options(
                HubClient.DEFAULT_PING_INTERVAL,
                HubClient.DEFAULT_IDLE_TIMEOUT,
                HubClient.DEFAULT_MAX_MESSAGE_SIZE,
                false,
                Map.of(),
                8);
        HubClient.Connection c = HubClient.connect(URI.create("ws://127.0.0.1:" + fixture.port() + "/ws/flood"), small)
                .block(WAIT);
        await().atMost(WAIT).until(() -> fixture.hub.subscriberCount(ChannelName.of("flood")) == 1);

        for (int i = 0; i < 50; i++) {
            fixture.hub.publish("flood", "m" + i).block(WAIT);
        }

        // Nobody read messages(): past 8 held, the client gives up on the connection.
        await().atMost(WAIT).until(() -> fixture.hub.subscriberCount(ChannelName.of("flood")) == 0);
        StepVerifier.create(c.messages())
                .thenConsumeWhile(m -> true)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("fell more than 8 messages behind"))
                .verify(WAIT);
    }
}
