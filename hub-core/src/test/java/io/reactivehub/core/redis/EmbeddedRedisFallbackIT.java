package io.reactivehub.core.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.testing.Recorder;
import io.reactivehub.core.testing.RedisProcess;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fallback for machines without {@code redis-server} on PATH: the Redis 6.2 binary inside
 * embedded-redis runs, and the broker (plain pub/sub, streams, scripts) works on it.
 */
class EmbeddedRedisFallbackIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void brokerWorksOnTheEmbeddedRedisBinary() {
        try (RedisProcess redis =
                RedisProcess.start(RedisProcess.embeddedBinary(), RedisProcess.freePort(), List.of())) {
            HubOptions options = new HubOptions(QueueLimits.DEFAULT)
                    .withChannelRules(ChannelRules.parse(List.of("*=history:10")))
                    .withBroker(
                            () -> RedisBroker.connect(RedisBroker.parseUris(redis.uri()), RedisBroker.Options.DEFAULT));
            Hub a = Hub.create(options);
            Hub b = Hub.create(options);
            try {
                ChannelName ch = ChannelName.of("fallback");
                Recorder r = new Recorder();
                b.attach(ch, r, null).block(TIMEOUT);
                a.publish(ch, "one".getBytes(), PayloadType.TEXT).block(TIMEOUT);
                a.publish(ch, "two".getBytes(), PayloadType.TEXT).block(TIMEOUT);
                await().atMost(TIMEOUT)
                        .untilAsserted(() -> assertThat(r.texts()).containsExactly("one", "two"));
                assertThat(a.history(ch, 0L, 10).block(TIMEOUT).messages()).hasSize(2);
                assertThat(redis.command("INFO server")).contains("redis_version:6.2");
            } finally {
                a.dispose();
                b.dispose();
            }
        }
    }
}
