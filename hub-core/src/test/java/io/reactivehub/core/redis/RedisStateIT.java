package io.reactivehub.core.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.PublishResult;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.testing.Recorder;
import io.reactivehub.core.testing.RedisProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/** What publishes and subscriptions leave in Redis, and for how long. */
class RedisStateIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Long enough that a loaded machine's pauses stay well within one renewal period (lease / 3). */
    private static final Duration LEASE = Duration.ofSeconds(6);

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private RedisProcess redis;
    private Hub hub;

    @BeforeEach
    void start() {
        redis = RedisProcess.start();
        cleanup.add(redis);
        hub = Hub.create(new HubOptions(QueueLimits.DEFAULT)
                .withChannelRules(ChannelRules.parse(List.of("keep:*=history:10,ttl:7s")))
                .withBroker(() -> RedisBroker.connect(
                        RedisBroker.parseUris(redis.uri()), new RedisBroker.Options(Duration.ofSeconds(2), LEASE))));
        cleanup.add(hub::dispose);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    /** Keys of channels (node entries, under hub:{!nodes}, are the nodes' own and expire by themselves). */
    private long ttl(String key) {
        return Long.parseLong(redis.command("TTL " + key).substring(1));
    }

    /**
     * Keys other than occupancy's: a running node always keeps its lease (and the sweeper's lock)
     * under {@code hub:{occ}:}, whatever is published.
     */
    private long channelKeys() {
        // a running node keeps its occupancy lease and its node entry
        return count("KEYS *") - count("KEYS hub:{occ}:*") - count("KEYS hub:{!nodes}*");
    }

    private long count(String command) {
        return Long.parseLong(redis.command(command).substring(1));
    }

    private PublishResult publish(String channel, String text) {
        return hub.publish(channel, text).block(TIMEOUT);
    }

    @Test
    void publishesToChannelsWithoutHistoryOrSubscribersLeaveNothing() {
        for (int i = 0; i < 500; i++) {
            assertThat(publish("free:" + i, "x").offset()).isEqualTo(1);
        }
        assertThat(channelKeys()).isZero();
    }

    @Test
    void aChannelWithHistoryKeepsItsStateForItsHistoryTtlOnly() {
        publish("keep:1", "a");
        PublishResult second = publish("keep:1", "b");
        assertThat(second.offset()).isEqualTo(2);
        assertThat(ttl("hub:{keep:1}:m")).isBetween(1L, 7L);
        assertThat(ttl("hub:{keep:1}:h")).isBetween(1L, 7L);
        await().atMost(TIMEOUT).until(() -> channelKeys() == 0);
    }

    @Test
    void aSubscribedChannelKeepsItsNumberingWhileSubscribedAndForOneLeaseAfter() {
        ChannelName quiet = ChannelName.of("quiet:1");
        // Completes once Redis confirmed the subscription.
        Disposable subscriber = hub.attach(quiet, new Recorder(), null).block(TIMEOUT);
        PublishResult first = publish("quiet:1", "a");
        assertThat(ttl("hub:{quiet:1}:m")).isBetween(1L, LEASE.toSeconds());

        // Quiet for several leases: the subscribed node keeps renewing the numbering.
        await().during(LEASE.multipliedBy(2)).atMost(TIMEOUT).until(() -> ttl("hub:{quiet:1}:m") > 0);
        PublishResult second = publish("quiet:1", "b");
        assertThat(second.epoch()).isEqualTo(first.epoch());
        assertThat(second.offset()).isEqualTo(first.offset() + 1);

        subscriber.dispose();
        await().atMost(TIMEOUT).until(() -> channelKeys() == 0);
    }
}
