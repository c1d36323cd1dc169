package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.config.WebhookConfig;
import io.reactivehub.server.protocol.HubJson;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The occupancy webhook of one node (no Redis): signed JSON POSTs to a real receiver, retried. */
class OccupancyWebhookIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final String SECRET = "webhook-test-secret-0123456789";

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private WebhookReceiver receiver(int failFirst) {
        WebhookReceiver receiver = new WebhookReceiver(failFirst);
        cleanup.add(receiver);
        return receiver;
    }

    private ServerFixture server(WebhookReceiver receiver) {
        ServerFixture fixture = new ServerFixture(ServerConfig.builder()
                .webhook(WebhookConfig.of(URI.create(receiver.url()), SECRET))
                .build());
        cleanup.add(fixture);
        return fixture;
    }

    /** HMAC-SHA256 of the body, computed here as a receiver would (not with the server's class). */
    static String expectedSignature(byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }

    /** Every event of the delivered (2xx) requests, in order. */
    static List<JsonNode> delivered(WebhookReceiver receiver) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        for (WebhookReceiver.Received r : receiver.received()) {
            if (r.status() / 100 == 2) {
                HubJson.MAPPER.readTree(r.body()).path("events").forEach(events::add);
            }
        }
        return events;
    }

    @Test
    void aChannelOccupiedAndVacatedOnOneNodeIsPostedWithAValidSignature() throws Exception {
        WebhookReceiver receiver = receiver(0);
        ServerFixture node = server(receiver);
        WsTestClient client = WsTestClient.connect(node.port(), "/ws/room:1");
        await().atMost(TIMEOUT).until(() -> delivered(receiver).size() == 1);
        client.close();
        await().atMost(TIMEOUT).until(() -> delivered(receiver).size() == 2);

        List<JsonNode> events = delivered(receiver);
        assertThat(events.get(0).path("type").asText()).isEqualTo("occupied");
        assertThat(events.get(0).path("channel").asText()).isEqualTo("room:1");
        assertThat(events.get(0).path("node").asText()).isEqualTo(node.hub.nodeId());
        assertThat(events.get(0).path("expired").asBoolean()).isFalse();
        assertThat(events.get(0).path("timestamp").asLong()).isPositive();
        assertThat(events.get(1).path("type").asText()).isEqualTo("vacated");
        assertThat(events.get(1).path("channel").asText()).isEqualTo("room:1");
        for (WebhookReceiver.Received r : receiver.received()) {
            assertThat(r.signature()).isEqualTo(expectedSignature(r.body()));
        }
    }

    @Test
    void aBatchTheReceiverFailsIsSentAgainUnchanged() throws Exception {
        WebhookReceiver receiver = receiver(1);
        ServerFixture node = server(receiver);
        WsTestClient client = WsTestClient.connect(node.port(), "/ws/room:2");
        cleanup.add(client);
        await().atMost(TIMEOUT).until(() -> delivered(receiver).size() == 1);

        List<WebhookReceiver.Received> requests = receiver.received();
        assertThat(requests).hasSize(2);
        assertThat(requests.get(0).status()).isEqualTo(503);
        assertThat(requests.get(1).status()).isEqualTo(204);
        assertThat(requests.get(1).body()).isEqualTo(requests.get(0).body());
        assertThat(requests.get(1).signature())
                .isEqualTo(expectedSignature(requests.get(1).body()));
        assertThat(delivered(receiver).get(0).path("type").asText()).isEqualTo("occupied");
        assertThat(metric(node, "hub_webhook_retries_total")).isEqualTo(1.0);
        assertThat(metric(node, "hub_webhook_sent_total")).isEqualTo(1.0);
    }

    private static double metric(ServerFixture node, String name) throws Exception {
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/metrics"))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
        return response.body()
                .lines()
                .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in /metrics"));
    }
}
