package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.OccupancyEvent;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.redis.RedisBroker;
import io.reactivehub.core.testing.RedisProcess;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.config.WebhookConfig;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two hub nodes on a Redis of the test's own; the node holding a channel's last subscriber (and a
 * user's last connection) is a separate JVM, killed with SIGKILL: the surviving node's sweeper
 * still reports the channel vacated and the user offline, once its lease (3 s here) has expired,
 * through its Flux and its webhook.
 */
class OccupancyCrashIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String JWT_SECRET = "0123456789abcdef0123456789abcdef-test-secret";
    private static final Duration LEASE = Duration.ofSeconds(3);

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private RedisProcess redis;

    @BeforeEach
    void startRedis() {
        redis = RedisProcess.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        redis.close();
    }

    @Test
    void aKilledNodesLastSubscriberStillVacatesItsChannelAndTakesItsUserOffline() throws Exception {
        WebhookReceiver receiver = new WebhookReceiver(0);
        cleanup.add(receiver);
        HubOptions options = new HubOptions(QueueLimits.DEFAULT)
                .withBroker(() -> RedisBroker.connect(
                        RedisBroker.parseUris(redis.uri()), new RedisBroker.Options(Duration.ofSeconds(5), LEASE)));
        ServerFixture survivor = new ServerFixture(
                ServerConfig.builder()
                        .webhook(WebhookConfig.of(URI.create(receiver.url()), OccupancyWebhookIT.SECRET))
                        .build(),
                options);
        cleanup.add(survivor);
        ConcurrentLinkedQueue<OccupancyEvent> seen = new ConcurrentLinkedQueue<>();
        survivor.hub.occupancy().subscribe(seen::add);

        ServerProcess doomed =
                ServerProcess.start("--redis", redis.uri(), "--presence-ttl", "3s", "--jwt-secret", JWT_SECRET);
        cleanup.add(doomed);
        String token = AuthIT.token(
                new MACSigner(JWT_SECRET),
                JWSAlgorithm.HS256,
                "alice",
                Instant.now().plusSeconds(600),
                null,
                List.of("*"),
                List.of("*"));
        WsTestClient client =
                WsTestClient.connect(doomed.port, "/ws/room:crash", "Authorization: Bearer " + token + "\r\n");
        cleanup.add(client);
        // The doomed node recorded both in Redis (it reported them: the survivor's webhook does not).
        await().atMost(TIMEOUT)
                .until(() -> ":1".equals(redis.command("SCARD hub:{occ}:c:room:crash"))
                        && ":1".equals(redis.command("SCARD hub:{occ}:u:alice")));

        doomed.kill();

        // One vacated and one offline per transition; on a machine so loaded that the doomed node
        // missed its lease before the kill there may be an earlier expiry and a re-entry, so the
        // assertions are about the last events of each.
        await().atMost(TIMEOUT)
                .until(() -> last(seen, "room:crash") != null
                        && last(seen, "room:crash").type() == OccupancyEvent.Type.VACATED
                        && last(seen, "alice") != null
                        && last(seen, "alice").type() == OccupancyEvent.Type.OFFLINE);
        OccupancyEvent vacated = last(seen, "room:crash");
        assertThat(vacated.expired()).isTrue();
        assertThat(vacated.reporter()).isEqualTo(survivor.hub.nodeId());
        assertThat(vacated.node()).isNotEqualTo(survivor.hub.nodeId());
        assertThat(last(seen, "alice").expired()).isTrue();
        assertThat(last(seen, "alice").node()).isEqualTo(vacated.node());

        // The survivor's webhook posts what the survivor reported: the expiries, not the doomed
        // node's own occupied and online.
        await().atMost(TIMEOUT)
                .until(() -> posted(receiver).contains("vacated room:crash")
                        && posted(receiver).contains("offline alice"));
        for (JsonNode event : OccupancyWebhookIT.delivered(receiver)) {
            assertThat(event.path("expired").asBoolean()).isTrue();
            assertThat(event.path("reporter").asText()).isEqualTo(survivor.hub.nodeId());
        }
        for (WebhookReceiver.Received r : receiver.received()) {
            assertThat(r.signature()).isEqualTo(OccupancyWebhookIT.expectedSignature(r.body()));
        }
        // The dead node is gone from Redis: nothing of it is left to expire.
        assertThat(redis.command("ZSCORE hub:{occ}:nodes " + vacated.node())).isEqualTo("$-1");
        assertThat(redis.command("EXISTS hub:{occ}:c:room:crash")).isEqualTo(":0");
    }

    private static OccupancyEvent last(ConcurrentLinkedQueue<OccupancyEvent> seen, String name) {
        OccupancyEvent last = null;
        for (OccupancyEvent e : seen) {
            if (e.name().equals(name)) {
                last = e;
            }
        }
        return last;
    }

    private static List<String> posted(WebhookReceiver receiver) throws Exception {
        List<String> posted = new ArrayList<>();
        for (JsonNode event : OccupancyWebhookIT.delivered(receiver)) {
            posted.add(event.path("type").asText() + " "
                    + (event.has("channel")
                            ? event.path("channel").asText()
                            : event.path("user").asText()));
        }
        return posted;
    }
}
