package io.reactivehub.core.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubException;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.Message;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.StreamPosition;
import io.reactivehub.core.testing.Recorder;
import io.reactivehub.core.testing.RedisClusterProcess;
import io.reactivehub.core.testing.RedisProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Redis going away and coming back, a node dying, and Redis Cluster: each with its own Redis processes. */
class RedisFaultsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ChannelRules RULES =
            ChannelRules.parse(List.of("keep:*=history:100,ttl:5m", "who:*=presence"));
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private Hub node(String uris, Duration presenceTtl) {
        Hub hub = Hub.create(new HubOptions(QueueLimits.DEFAULT)
                .withChannelRules(RULES)
                .withBroker(() -> RedisBroker.connect(
                        RedisBroker.parseUris(uris), new RedisBroker.Options(Duration.ofSeconds(2), presenceTtl))));
        cleanup.add(hub::dispose);
        return hub;
    }

    private static void publish(Hub hub, ChannelName channel, String text) {
        hub.publish(channel, text.getBytes(), PayloadType.TEXT).block(TIMEOUT);
    }

    @Test
    void redisDownFailsPublishesClearlyThenEverythingResumesWhenItIsBack() {
        RedisProcess redis = RedisProcess.start();
        cleanup.add(redis);
        Hub a = node(redis.uri(), Duration.ofSeconds(60));
        Hub b = node(redis.uri(), Duration.ofSeconds(60));
        ChannelName ch = ChannelName.of("keep:restart");
        Recorder onB = new Recorder();
        b.attach(ch, onB, null).block(TIMEOUT);
        publish(a, ch, "before");
        await().atMost(TIMEOUT).until(() -> onB.messages.size() == 1);
        Message last = onB.messages.get(0);

        redis.kill();
        // While Redis is down: a clear error, at once; nothing is silently dropped.
        Throwable failure = catchThrowable(() -> publish(a, ch, "during"));
        assertThat(failure)
                .isInstanceOfSatisfying(
                        HubException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNAVAILABLE));
        assertThat(b.subscriberCount(ch)).isEqualTo(1); // local subscribers stay

        redis.restart(); // empty: the history and the epoch are gone
        // The node reconnects and subscribes again by itself; the next message arrives.
        await().atMost(TIMEOUT).ignoreExceptions().until(() -> {
            publish(a, ch, "after");
            return onB.texts().contains("after");
        });
        // The epoch changed under the subscriber: it is told, and recovery says the history is gone.
        assertThat(onB.interruptions.get()).isGreaterThanOrEqualTo(1);
        Recorder again = new Recorder();
        b.attach(ch, again, new StreamPosition(last.offset(), last.epoch())).block(TIMEOUT);
        assertThat(again.subscribed.get().recovered()).isFalse();
    }

    @Test
    void aPublishRedisDoesNotAnswerInTimeHasAnUnknownOutcomeNotUnavailable() {
        RedisProcess redis = RedisProcess.start();
        cleanup.add(redis);
        Hub a = Hub.create(new HubOptions(QueueLimits.DEFAULT)
                .withChannelRules(RULES)
                .withBroker(() -> RedisBroker.connect(
                        RedisBroker.parseUris(redis.uri()),
                        new RedisBroker.Options(Duration.ofMillis(500), Duration.ofSeconds(60)))));
        cleanup.add(a::dispose);
        ChannelName ch = ChannelName.of("keep:stall");
        publish(a, ch, "first"); // the script is loaded

        assertThat(redis.command("CLIENT PAUSE 3000")).isEqualTo("+OK");
        Throwable failure = catchThrowable(() -> publish(a, ch, "stalled"));
        assertThat(failure)
                .isInstanceOfSatisfying(
                        HubException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN_OUTCOME));
        // Reads that time out are only "unavailable": nothing was changed.
        Throwable read = catchThrowable(() -> a.history(ch, 0L, 10).block(TIMEOUT));
        assertThat(read)
                .isInstanceOfSatisfying(
                        HubException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNAVAILABLE));
        // The script ran once Redis woke up: the message is there.
        await().atMost(TIMEOUT)
                .ignoreExceptions()
                .untilAsserted(
                        () -> assertThat(a.history(ch, 0L, 10).block(TIMEOUT).messages())
                                .extracting(m -> new String(m.payload()))
                                .containsExactly("first", "stalled"));
    }

    @Test
    void subscribingWhileRedisIsDownFailsClearly() {
        RedisProcess redis = RedisProcess.start();
        cleanup.add(redis);
        Hub a = node(redis.uri(), Duration.ofSeconds(60));
        redis.kill();
        Throwable failure = catchThrowable(
                () -> a.attach(ChannelName.of("keep:x"), new Recorder(), null).block(TIMEOUT));
        assertThat(failure)
                .isInstanceOfSatisfying(
                        HubException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNAVAILABLE));
        assertThat(a.channelCount()).isZero();

        // A listener attached without waiting (as the raw protocol does) while Redis is down ...
        ChannelName ch = ChannelName.of("keep:y");
        Recorder early = new Recorder();
        a.attach(ch, early);
        redis.restart();
        // ... is served once Redis is back, and a confirmed attach asks the broker again rather
        // than failing from the first attempt.
        Recorder later = new Recorder();
        await().atMost(TIMEOUT)
                .ignoreExceptions()
                .until(() -> a.attach(ch, later, null).block(TIMEOUT) != null);
        publish(a, ch, "back");
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(later.texts()).containsExactly("back");
            assertThat(early.texts()).containsExactly("back");
        });
    }

    @Test
    void presenceOfANodeThatStopsRefreshingExpires() {
        RedisProcess redis = RedisProcess.start();
        cleanup.add(redis);
        Hub a = node(redis.uri(), Duration.ofSeconds(60));
        ChannelName ch = ChannelName.of("who:ttl");
        // A node that enters a client with a 1 s TTL and then stops refreshing, as a killed process would.
        RedisBroker dying = RedisBroker.connect(
                RedisBroker.parseUris(redis.uri()),
                new RedisBroker.Options(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        dying.presenceManager().add(ch, new ClientInfo("gone-1", "ghost")).block(TIMEOUT);
        a.join(ch, new ClientInfo("here-1", "alice")).block(TIMEOUT);
        assertThat(a.presence(ch).block(TIMEOUT))
                .extracting(ClientInfo::client)
                .containsExactlyInAnyOrder("gone-1", "here-1");
        // Never started, so it never refreshes: its entry expires; the live node's stays.
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(a.presence(ch).block(TIMEOUT))
                        .extracting(ClientInfo::client)
                        .containsExactly("here-1"));
        redis.kill(); // the broker never connected a hub: stop Redis first so its shutdown does not leave presence
        dying.dispose();
    }

    @Test
    void shardedPubSubOnAThreeMasterCluster() {
        RedisProcess.assumeRedis7("sharded pub/sub (SSUBSCRIBE/SPUBLISH)");
        RedisClusterProcess cluster = RedisClusterProcess.start(3);
        cleanup.add(cluster);
        Hub a = node(cluster.uris(), Duration.ofSeconds(60));
        Hub b = node(cluster.nodes().get(1).uri(), Duration.ofSeconds(60));
        // Channels spread over the three masters' slots.
        List<ChannelName> channels = new ArrayList<>();
        List<Recorder> recorders = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ChannelName ch = ChannelName.of("keep:shard-" + i);
            Recorder r = new Recorder();
            b.attach(ch, r, null).block(TIMEOUT);
            channels.add(ch);
            recorders.add(r);
        }
        for (int n = 1; n <= 50; n++) {
            for (ChannelName ch : channels) {
                publish(a, ch, ch.value() + "/" + n);
            }
        }
        for (int i = 0; i < channels.size(); i++) {
            Recorder r = recorders.get(i);
            String prefix = channels.get(i).value() + "/";
            await().atMost(TIMEOUT).until(() -> r.messages.size() == 50);
            assertThat(r.texts())
                    .isEqualTo(IntStream.rangeClosed(1, 50)
                            .mapToObj(n -> prefix + n)
                            .toList());
        }
        // Each master holds some of the channels' subscriptions: sharded, not all on one node.
        long shardsUsed = cluster.nodes().stream()
                .filter(node -> !"*0".equals(node.command("PUBSUB SHARDCHANNELS")))
                .count();
        assertThat(shardsUsed).isEqualTo(3);
        // History and recovery work on the cluster too.
        Message last = recorders.get(0).messages.get(9);
        Recorder again = new Recorder();
        b.attach(channels.get(0), again, new StreamPosition(last.offset(), last.epoch()))
                .block(TIMEOUT);
        assertThat(again.subscribed.get().recovered()).isTrue();
        assertThat(again.messages).hasSize(40);
    }

    @Test
    void aMasterThatRestartsIsSubscribedAgainAndItsSubscribersAreTold() {
        RedisProcess.assumeRedis7("sharded pub/sub (SSUBSCRIBE/SPUBLISH)");
        RedisClusterProcess cluster = RedisClusterProcess.start(3);
        cleanup.add(cluster);
        Hub a = node(cluster.uris(), Duration.ofSeconds(60));
        Hub b = node(cluster.uris(), Duration.ofSeconds(60));
        List<ChannelName> channels = new ArrayList<>();
        List<Recorder> recorders = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ChannelName ch = ChannelName.of("keep:restart-" + i);
            Recorder r = new Recorder();
            b.attach(ch, r, null).block(TIMEOUT);
            channels.add(ch);
            recorders.add(r);
            publish(a, ch, "before");
        }
        for (Recorder r : recorders) {
            await().atMost(TIMEOUT).until(() -> r.messages.size() == 1);
        }
        RedisProcess restarted = cluster.nodes().get(2);
        restarted.restart(); // same port and node id (nodes.conf kept), its keys gone
        // Every channel delivers again once the cluster is whole; the restarted master's channels
        // were subscribed again and their subscribers told that messages may be lost.
        for (int i = 0; i < channels.size(); i++) {
            ChannelName ch = channels.get(i);
            Recorder r = recorders.get(i);
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                publish(a, ch, "after");
                return r.texts().contains("after");
            });
        }
        // Told: exactly the channels of the restarted master (slots 10922..16383 of three).
        for (int i = 0; i < channels.size(); i++) {
            int slot = Integer.parseInt(restarted
                    .command("CLUSTER KEYSLOT hub:{" + channels.get(i).value() + "}")
                    .substring(1));
            boolean onRestarted = slot >= 2 * (16384 / 3);
            assertThat(recorders.get(i).interruptions.get() > 0)
                    .as("channel %s, slot %d", channels.get(i), slot)
                    .isEqualTo(onRestarted);
        }
    }
}
