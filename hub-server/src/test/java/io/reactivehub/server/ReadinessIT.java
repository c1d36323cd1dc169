package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.redis.RedisBroker;
import io.reactivehub.core.testing.RedisProcess;
import io.reactivehub.server.config.ServerConfig;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** /health/ready follows the broker: a node whose Redis is gone is not ready, and is again once it is back. */
class ReadinessIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final RedisProcess redis = RedisProcess.start();
    private final ServerFixture fixture = new ServerFixture(
            ServerConfig.DEFAULT,
            new HubOptions(QueueLimits.DEFAULT)
                    .withBroker(() ->
                            RedisBroker.connect(RedisBroker.parseUris(redis.uri()), RedisBroker.Options.DEFAULT)));

    @AfterEach
    void stop() {
        fixture.close();
        redis.close();
    }

    private String get(String path) throws Exception {
        return WsTestClient.httpGet(fixture.port(), path, false);
    }

    @Test
    void readinessIs503WhileRedisIsDownAndPublishesSayNothingOfItsAddress() throws Exception {
        assertThat(get("/health/ready"))
                .startsWith("HTTP/1.1 200")
                .contains("{\"status\":\"READY\",\"broker\":\"UP\"}");

        redis.kill();
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(get("/health/ready"))
                        .startsWith("HTTP/1.1 503")
                        .contains("{\"status\":\"NOT_READY\",\"broker\":\"DOWN\"}"));
        // The process is alive and /health keeps its meaning (the server answers).
        assertThat(get("/health/live")).startsWith("HTTP/1.1 200");
        assertThat(get("/health")).startsWith("HTTP/1.1 200").contains("\"status\":\"UP\"");
        try (WsTestClient c = WsTestClient.connect(fixture.port(), "/hub")) {
            c.sendText("{\"id\":1,\"op\":\"publish\",\"channel\":\"room\",\"data\":1}");
            assertThat(c.readText())
                    .isEqualTo("{\"id\":1,\"error\":{\"code\":114,"
                            + "\"message\":\"Redis unavailable: nothing was done; retry\"}}");
        }

        redis.restart();
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(get("/health/ready"))
                        .startsWith("HTTP/1.1 200")
                        .contains("{\"status\":\"READY\",\"broker\":\"UP\"}"));
    }
}
