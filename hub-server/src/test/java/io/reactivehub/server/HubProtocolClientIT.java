package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.client.HubProtocolClient;
import io.reactivehub.core.redis.RedisBroker;
import io.reactivehub.core.testing.RedisProcess;
import io.reactivehub.server.config.ServerConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/** The reconnecting, recovering hub-protocol client against real nodes sharing a real Redis. */
class HubProtocolClientIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String RULES = "room:*=history:1000,ttl:5m";
    private static final HubProtocolClient.Options FAST =
            HubProtocolClient.Options.DEFAULT.withBackoff(Duration.ofMillis(50), Duration.ofMillis(500));

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private RedisProcess redis;

    @BeforeEach
    void startRedis() {
        redis = RedisProcess.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        redis.close();
    }

    private ServerFixture node() {
        HubOptions options = new HubOptions(QueueLimits.DEFAULT)
                .withChannelRules(ChannelRules.parse(List.of(RULES)))
                .withBroker(() -> RedisBroker.connect(
                        RedisBroker.parseUris(redis.uri()),
                        new RedisBroker.Options(Duration.ofSeconds(2), Duration.ofSeconds(60))));
        ServerFixture node = new ServerFixture(ServerConfig.DEFAULT, options);
        cleanup.add(node);
        return node;
    }

    private HubProtocolClient client(URI... urls) {
        HubProtocolClient client = HubProtocolClient.connect(List.of(urls), FAST);
        cleanup.add(client::dispose);
        return client;
    }

    private static List<Long> offsets(List<HubProtocolClient.Event> events) {
        return events.stream()
                .filter(e -> e instanceof HubProtocolClient.Publication)
                .map(e -> ((HubProtocolClient.Publication) e).offset())
                .toList();
    }

    @Test
    void aSubscriberKeepsEveryOffsetInOrderWhenItsNodeIsKilledMidStream() throws Exception {
        ServerFixture survivor = node();
        ServerProcess doomed = ServerProcess.start("--redis", redis.uri(), "--channel-options", RULES);
        cleanup.add(doomed);
        URI doomedUrl = URI.create("ws://127.0.0.1:" + doomed.port + "/hub");
        URI survivorUrl = URI.create("ws://127.0.0.1:" + survivor.port() + "/hub");
        HubProtocolClient subscriber = client(doomedUrl, survivorUrl);
        List<HubProtocolClient.Event> events = new CopyOnWriteArrayList<>();
        Disposable subscription = subscriber.subscribe("room:1").subscribe(events::add);
        cleanup.add(subscription::dispose);
        await().atMost(TIMEOUT)
                .ignoreExceptions()
                .until(() -> new HubProtocolClient.Connected(doomedUrl)
                        .equals(subscriber.states().blockFirst(TIMEOUT)));
        HubProtocolClient publisher = client(survivorUrl);
        await().atMost(TIMEOUT)
                .ignoreExceptions()
                .until(() -> publisher.states().blockFirst(TIMEOUT) instanceof HubProtocolClient.Connected);
        // The subscription is confirmed on the doomed node once a first message reaches it.
        await().atMost(TIMEOUT).ignoreExceptions().until(() -> {
            publisher.publish("room:1", "0").block(TIMEOUT);
            return !offsets(events).isEmpty();
        });
        long first = offsets(events).get(0);

        for (int n = 1; n <= 100; n++) {
            publisher.publish("room:1", Integer.toString(n)).block(TIMEOUT);
            if (n == 40) {
                doomed.kill(); // SIGKILL: the client's connection drops without a close frame
            }
        }
        long last =
                publisher.publish("room:1", "101").block(TIMEOUT).path("offset").asLong();

        await().atMost(TIMEOUT)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(offsets(events)).endsWith(last));
        assertThat(offsets(events))
                .as("gap-free and in order across the node's death")
                .isEqualTo(LongStream.rangeClosed(first, last).boxed().toList());
        assertThat(subscriber.states().blockFirst(TIMEOUT)).isEqualTo(new HubProtocolClient.Connected(survivorUrl));
    }

    @Test
    void whenRedisLosesTheChannelTheSubscriptionSaysResyncInsteadOfAGap() throws Exception {
        ServerFixture node = node();
        URI url = URI.create("ws://127.0.0.1:" + node.port() + "/hub");
        HubProtocolClient subscriber = client(url);
        HubProtocolClient publisher = client(url);
        List<HubProtocolClient.Event> events = new CopyOnWriteArrayList<>();
        Disposable subscription = subscriber.subscribe("room:2").subscribe(events::add);
        cleanup.add(subscription::dispose);
        await().atMost(TIMEOUT)
                .ignoreExceptions()
                .until(() -> publisher.states().blockFirst(TIMEOUT) instanceof HubProtocolClient.Connected
                        && node.hub.subscriberCount(ChannelName.of("room:2")) == 1);
        await().atMost(TIMEOUT).ignoreExceptions().until(() -> {
            publisher.publish("room:2", "1").block(TIMEOUT);
            return !offsets(events).isEmpty();
        });

        redis.kill();
        redis.restart(); // empty: the channel's numbering and history are gone

        // The node tells its subscribers (4004); the client resubscribes with recover and is told
        // the messages cannot be recovered.
        await().atMost(TIMEOUT)
                .ignoreExceptions()
                .until(() -> events.stream().anyMatch(e -> e instanceof HubProtocolClient.Resync));
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            publisher.publish("room:2", "\"after\"").block(TIMEOUT);
            assertThat(events.get(events.size() - 1)).isInstanceOf(HubProtocolClient.Publication.class);
            assertThat(((HubProtocolClient.Publication) events.get(events.size() - 1))
                            .data()
                            .asText())
                    .isEqualTo("after");
        });
    }
}
