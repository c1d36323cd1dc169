package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** GET /health and GET /metrics on a real server. */
class ObservabilityIT {
    private final ServerFixture fixture = new ServerFixture();

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void healthIsUpWithConnectionAndChannelCounts() throws Exception {
        try (WsTestClient c = WsTestClient.connect(fixture.port(), "/ws/room")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> fixture.hub.channelCount() == 1);
            String response = WsTestClient.httpGet(fixture.port(), "/health", false);
            assertThat(response)
                    .startsWith("HTTP/1.1 200")
                    .contains("application/json")
                    .contains("{\"status\":\"UP\",\"connections\":1,\"channels\":1}");
        }
    }

    @Test
    void metricsCountMessagesDeliveriesConnectionsAndPublishLatency() throws Exception {
        try (WsTestClient a = WsTestClient.connect(fixture.port(), "/ws/room");
                WsTestClient b = WsTestClient.connect(fixture.port(), "/ws/room")) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> fixture.hub.subscriberCount(ChannelName.of("room")) == 2);
            for (int i = 0; i < 3; i++) {
                a.sendText("m" + i);
            }
            for (int i = 0; i < 3; i++) {
                assertThat(b.readText()).isEqualTo("m" + i);
                assertThat(a.readText()).isEqualTo("m" + i);
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                String metrics = WsTestClient.httpGet(fixture.port(), "/metrics", false);
                assertThat(metrics)
                        .startsWith("HTTP/1.1 200")
                        .contains("hub_connections_active 2.0")
                        .contains("hub_channels 1.0")
                        .contains("hub_subscriptions 2.0")
                        .contains("hub_messages_in_total 3.0")
                        .contains("hub_bytes_in_total 6.0")
                        .contains("hub_deliveries_total 6.0")
                        .contains("hub_publish_latency_seconds_count 3")
                        .contains("hub_slow_consumer_disconnects_total 0.0")
                        .contains("hub_idle_timeouts_total 0.0");
            });
        }
    }

    @Test
    void rejectedHubCommandsAreCounted() throws Exception {
        try (WsTestClient c = WsTestClient.connect(fixture.port(), "/hub")) {
            c.sendText("{\"id\":1,\"op\":\"nope\"}");
            assertThat(c.readText()).contains("\"error\"");
            assertThat(WsTestClient.httpGet(fixture.port(), "/metrics", false))
                    .contains("hub_protocol_errors_total 1.0");
        }
    }

    @Test
    void livenessAndReadinessAreUpOnOneNode() throws Exception {
        assertThat(WsTestClient.httpGet(fixture.port(), "/health/live", false))
                .startsWith("HTTP/1.1 200")
                .contains("{\"status\":\"UP\"}");
        assertThat(WsTestClient.httpGet(fixture.port(), "/health/ready", false))
                .startsWith("HTTP/1.1 200")
                .contains("{\"status\":\"READY\",\"broker\":\"UP\"}");
    }

    @Test
    void metricsIncludeTheJvmTheProcessAndNettysAllocator() throws Exception {
        String metrics = WsTestClient.httpGet(fixture.port(), "/metrics", false);
        assertThat(metrics)
                .contains("jvm_memory_used_bytes{")
                .contains("jvm_gc_")
                .contains("jvm_threads_live_threads")
                .contains("process_files_open_files")
                .contains("process_uptime_seconds")
                .contains("system_cpu_count")
                .contains("netty_allocator_memory_used")
                .contains("hub_connections_active");
    }
}
