package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ErrorCode;
import io.reactivehub.server.config.ConnectionLimits;
import io.reactivehub.server.config.ServerConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every abuse limit, refused the documented way while everybody else keeps being served. */
class LimitsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private ServerFixture fixture;

    @AfterEach
    void stop() {
        fixture.close();
    }

    private void start(ConnectionLimits limits) {
        fixture = new ServerFixture(ServerConfig.DEFAULT.withLimits(limits));
    }

    private String metrics() throws IOException {
        return WsTestClient.httpGet(fixture.port(), "/metrics", false);
    }

    @Test
    void anOriginNotOnTheListIsRefusedWith403() throws Exception {
        start(ConnectionLimits.DEFAULT.withAllowedOrigins(List.of("https://app.example")));
        assertThatThrownBy(() -> WsTestClient.connect(fixture.port(), "/ws/room", "Origin: https://evil.example\r\n"))
                .hasMessageContaining("403");
        try (WsTestClient good = WsTestClient.connect(fixture.port(), "/ws/room", "Origin: https://app.example\r\n");
                WsTestClient noOrigin = WsTestClient.connect(fixture.port(), "/ws/room")) {
            assertThat(metrics()).contains("hub_connections_rejected_total{reason=\"origin\"} 1.0");
        }
    }

    @Test
    void connectionsOverTheMaximumGet503UntilOneCloses() throws Exception {
        start(ConnectionLimits.DEFAULT.withMaxConnections(2, 10));
        WsTestClient first = WsTestClient.connect(fixture.port(), "/ws/a");
        try (WsTestClient second = WsTestClient.connect(fixture.port(), "/ws/b")) {
            await().atMost(WAIT).until(() -> fixture.server.connections() == 2);
            assertThatThrownBy(() -> WsTestClient.connect(fixture.port(), "/hub"))
                    .hasMessageContaining("503");
            first.sendClose(1000);
            first.readCloseCode();
            first.close();
            await().atMost(WAIT).until(() -> fixture.server.connections() == 1);
            try (WsTestClient third = WsTestClient.connect(fixture.port(), "/ws/c")) {
                assertThat(metrics()).contains("hub_connections_rejected_total{reason=\"max_connections\"} 1.0");
            }
        }
    }

    @Test
    void connectionsOverThePerAddressMaximumGet429() throws Exception {
        start(ConnectionLimits.DEFAULT.withMaxConnections(100, 1));
        try (WsTestClient only = WsTestClient.connect(fixture.port(), "/ws/a")) {
            assertThatThrownBy(() -> WsTestClient.connect(fixture.port(), "/ws/b"))
                    .hasMessageContaining("429");
            assertThat(metrics()).contains("hub_connections_rejected_total{reason=\"max_connections_per_ip\"} 1.0");
        }
        // The slot is given back when the connection ends.
        await().atMost(WAIT).untilAsserted(() -> {
            try (WsTestClient again = WsTestClient.connect(fixture.port(), "/ws/c")) {
                assertThat(again).isNotNull();
            }
        });
    }

    @Test
    void subscriptionsOverTheMaximumGetError110() throws Exception {
        start(ConnectionLimits.DEFAULT.withMaxSubscriptions(2));
        try (WsTestClient c = WsTestClient.connect(fixture.port(), "/hub")) {
            c.sendText("{\"id\":1,\"op\":\"subscribe\",\"channel\":\"a\"}");
            c.sendText("{\"id\":2,\"op\":\"subscribe\",\"channel\":\"b\"}");
            c.sendText("{\"id\":3,\"op\":\"subscribe\",\"channel\":\"c\"}");
            assertThat(c.readText()).matches("\\{\"id\":1,\"ok\":true,\"offset\":0,\"epoch\":\"[0-9a-z]+\"\\}");
            assertThat(c.readText()).matches("\\{\"id\":2,\"ok\":true,\"offset\":0,\"epoch\":\"[0-9a-z]+\"\\}");
            assertThat(c.readText()).contains("\"id\":3").contains("\"code\":" + ErrorCode.LIMIT_EXCEEDED.code());
            c.sendText("{\"id\":4,\"op\":\"ping\"}");
            assertThat(c.readText()).isEqualTo("{\"id\":4,\"ok\":true}");
        }
    }

    @Test
    void publishingOverTheRateGetsError111() throws Exception {
        start(ConnectionLimits.DEFAULT.withPublishRate(1, 3));
        try (WsTestClient c = WsTestClient.connect(fixture.port(), "/hub")) {
            for (int i = 1; i <= 4; i++) {
                c.sendText("{\"id\":" + i + ",\"op\":\"publish\",\"channel\":\"a\",\"data\":" + i + "}");
            }
            for (int i = 1; i <= 3; i++) {
                assertThat(c.readText()).contains("\"ok\":true");
            }
            assertThat(c.readText()).contains("\"id\":4").contains("\"code\":" + ErrorCode.RATE_LIMITED.code());
            assertThat(metrics()).contains("hub_rate_limited_total 1.0");
        }
    }

    @Test
    void aRawClientThatKeepsPublishingOverTheRateIsClosedWith1008() throws Exception {
        start(ConnectionLimits.DEFAULT.withPublishRate(1, 3));
        try (WsTestClient bystander = WsTestClient.connect(fixture.port(), "/ws/other");
                WsTestClient flood = WsTestClient.connect(fixture.port(), "/ws/room")) {
            await().atMost(WAIT).until(() -> fixture.hub.channelCount() == 2);
            for (int i = 0; i < ConnectionLimits.ABUSE_THRESHOLD + 10; i++) {
                flood.sendText("m" + i);
            }
            // The first messages of the burst go through; the rest are dropped; then the close.
            assertThat(flood.readText()).isEqualTo("m0");
            assertThat(flood.readCloseCode()).isEqualTo(CloseCodes.POLICY_VIOLATION);
            bystander.sendText("fine");
            assertThat(bystander.readText()).isEqualTo("fine");
        }
    }

    @Test
    void commandsOtherThanPublishHaveTheirOwnBudget() throws Exception {
        start(ConnectionLimits.DEFAULT.withCommandRate(1, 3));
        try (WsTestClient c = WsTestClient.connect(fixture.port(), "/hub")) {
            for (int i = 1; i <= 4; i++) {
                c.sendText("{\"id\":" + i + ",\"op\":\"ping\"}");
            }
            for (int i = 1; i <= 3; i++) {
                assertThat(c.readText()).isEqualTo("{\"id\":" + i + ",\"ok\":true}");
            }
            assertThat(c.readText()).contains("\"id\":4").contains("\"code\":" + ErrorCode.RATE_LIMITED.code());
            // Publishes are not commands of this budget.
            c.sendText("{\"id\":5,\"op\":\"publish\",\"channel\":\"a\",\"data\":1}");
            assertThat(c.readText()).contains("\"id\":5").contains("\"ok\":true");
        }
    }

    @Test
    void aClientTogglingSubscriptionsIntoTheLimitIsClosedWith1008() throws Exception {
        start(ConnectionLimits.DEFAULT.withCommandRate(1, 3));
        try (WsTestClient c = WsTestClient.connect(fixture.port(), "/hub")) {
            // Each toggle pays for its unsubscribe (subscribes are bounded by --max-subscriptions).
            for (int i = 0; i < 2 * (ConnectionLimits.ABUSE_THRESHOLD + 10); i++) {
                c.sendText("{\"op\":\"" + (i % 2 == 0 ? "subscribe" : "unsubscribe") + "\",\"channel\":\"t\"}");
            }
            assertThat(c.readCloseCode()).isEqualTo(CloseCodes.POLICY_VIOLATION);
        }
    }

    @Test
    void subscribesAreNotChargedToTheCommandBudgetSoAReconnectingClientGetsAllItsChannels() throws Exception {
        start(ConnectionLimits.DEFAULT.withCommandRate(1, 3));
        try (WsTestClient c = WsTestClient.connect(fixture.port(), "/hub")) {
            for (int i = 1; i <= 300; i++) {
                c.sendText("{\"id\":" + i + ",\"op\":\"subscribe\",\"channel\":\"ch" + i + "\"}");
            }
            for (int i = 1; i <= 300; i++) {
                assertThat(c.readText()).startsWith("{\"id\":" + i + ",\"ok\":true");
            }
        }
    }
}
