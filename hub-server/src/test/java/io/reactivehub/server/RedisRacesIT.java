package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.redis.RedisBroker;
import io.reactivehub.core.testing.RedisProcess;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.protocol.HubJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Races and faults with a real Redis of the test's own, where confirmations take a round trip:
 * clients that drop while their subscribe is in flight, an unsubscribe that overtakes its
 * subscribe, and publishes Redis does not answer in time.
 */
class RedisRacesIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String KEY = "test-api-key";
    private static final ChannelName ROOM = ChannelName.of("room:1");

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final AtomicReference<RedisBroker> broker = new AtomicReference<>();
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

    private ServerFixture node(Duration redisTimeout, Duration presenceTtl) {
        HubOptions options = new HubOptions(QueueLimits.DEFAULT)
                .withChannelRules(ChannelRules.parse(List.of("room:*=history:100,ttl:5m,presence,join-leave")))
                .withBroker(() -> {
                    RedisBroker b = RedisBroker.connect(
                            RedisBroker.parseUris(redis.uri()), new RedisBroker.Options(redisTimeout, presenceTtl));
                    broker.set(b);
                    return b;
                });
        ServerFixture node = new ServerFixture(ServerConfig.DEFAULT.withApiKey(KEY), options);
        cleanup.add(node);
        return node;
    }

    private WsTestClient hubClient(int port) throws Exception {
        WsTestClient c = WsTestClient.connect(port, "/hub");
        cleanup.add(c);
        return c;
    }

    private static JsonNode read(WsTestClient c) throws Exception {
        return HubJson.MAPPER.readTree(c.readText());
    }

    private static JsonNode command(WsTestClient c, String json) throws Exception {
        c.sendText(json);
        return read(c);
    }

    private static List<String> clients(ServerFixture node) {
        return node.hub.presence(ROOM).block(TIMEOUT).stream()
                .map(ClientInfo::client)
                .toList();
    }

    @Nested
    class Presence {
        @Test
        void clientsThatDropRightAfterSubscribingLeavePresenceAndRefreshesNeverBringThemBack() throws Exception {
            ServerFixture node = node(Duration.ofSeconds(5), Duration.ofSeconds(3));
            WsTestClient witness = hubClient(node.port());
            assertThat(command(witness, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}")
                            .path("ok")
                            .asBoolean())
                    .isTrue();
            await().atMost(TIMEOUT).until(() -> clients(node).size() == 1);
            List<String> witnessOnly = clients(node);

            // Each subscribes and goes at once, without reading the reply: the drop lands anywhere
            // between the subscribe arriving and Redis confirming it (half close, half reset).
            for (int i = 0; i < 50; i++) {
                WsTestClient c = WsTestClient.connect(node.port(), "/hub");
                c.sendText("{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}");
                if (i % 2 == 0) {
                    c.close();
                } else {
                    c.abort();
                }
            }
            await().atMost(TIMEOUT).until(() -> node.server.connections() == 1);
            await().atMost(TIMEOUT).until(() -> node.hub.subscriberCount(ROOM) == 1);
            await().atMost(TIMEOUT)
                    .untilAsserted(() -> assertThat(clients(node)).isEqualTo(witnessOnly));

            // A refresh re-writes this node's entries: only the witness's, never a client that left.
            broker.get().presenceManager().refresh().block(TIMEOUT);
            assertThat(clients(node)).isEqualTo(witnessOnly);
            JsonNode overWebSocket = command(witness, "{\"id\":2,\"op\":\"presence\",\"channel\":\"room:1\"}");
            assertThat(overWebSocket.path("clients")).hasSize(1);
        }
    }

    @Nested
    class UnsubscribeWhileSubscribing {
        @Test
        void thePendingSubscribeFailsWith107BeforeTheUnsubscribeOkAndNothingOfTheChannelFollows() throws Exception {
            ServerFixture node = node(Duration.ofSeconds(5), Duration.ofSeconds(60));
            WsTestClient publisher = hubClient(node.port());
            JsonNode first = command(publisher, "{\"id\":1,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":1}");
            String epoch = first.path("epoch").asText();
            command(publisher, "{\"id\":2,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":2}");

            WsTestClient c = hubClient(node.port());
            int refused = 0;
            for (int round = 0; round < 10; round++) {
                // Both in one TCP write: the unsubscribe is read while Redis has not yet answered.
                c.sendTexts(
                        "{\"id\":\"s" + round + "\",\"op\":\"subscribe\",\"channel\":\"room:1\",\"joinLeave\":true,"
                                + "\"recover\":{\"offset\":0,\"epoch\":\"" + epoch + "\"}}",
                        "{\"id\":\"u" + round + "\",\"op\":\"unsubscribe\",\"channel\":\"room:1\"}");
                JsonNode subscribe = read(c);
                assertThat(subscribe.path("id").asText())
                        .as(subscribe.toString())
                        .isEqualTo("s" + round);
                JsonNode next = read(c);
                if (subscribe.has("error")) {
                    // The unsubscribe ended the pending subscribe: 107, and nothing of the channel
                    // before the unsubscribe's ok.
                    assertThat(subscribe.path("error").path("code").asInt())
                            .as(subscribe.toString())
                            .isEqualTo(ErrorCode.NOT_SUBSCRIBED.code());
                    refused++;
                } else {
                    // On a loaded machine the subscribe may complete before the unsubscribe is
                    // read: then it is a whole subscription (recovered pushes may follow), ended by
                    // the unsubscribe.
                    assertThat(subscribe.path("ok").asBoolean())
                            .as(subscribe.toString())
                            .isTrue();
                    while (next.has("channel")) {
                        next = read(c);
                    }
                }
                assertThat(next.toString()).isEqualTo("{\"id\":\"u" + round + "\",\"ok\":true}");
            }
            // Read in one go with its subscribe, the unsubscribe nearly always finds it pending.
            assertThat(refused)
                    .as("subscribes ended by their unsubscribe (107)")
                    .isPositive();
            // Whatever the hub still had in flight for those subscribes is dropped: a live message
            // and the replies to later commands arrive, no recovered or live push of room:1.
            await().atMost(TIMEOUT).until(() -> node.hub.subscriberCount(ROOM) == 0);
            command(publisher, "{\"id\":3,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":3}");
            JsonNode presence = command(c, "{\"id\":\"p\",\"op\":\"presence\",\"channel\":\"room:1\"}");
            assertThat(presence.toString())
                    .isEqualTo("{\"id\":\"p\",\"ok\":true,\"clients\":[],\"users\":{},\"userCount\":0}");
            assertThat(command(c, "{\"id\":\"again\",\"op\":\"unsubscribe\",\"channel\":\"room:1\"}")
                            .path("error")
                            .path("code")
                            .asInt())
                    .isEqualTo(ErrorCode.NOT_SUBSCRIBED.code());
            // A subscribe that is left alone still works on the same connection.
            JsonNode ok = command(c, "{\"id\":\"last\",\"op\":\"subscribe\",\"channel\":\"room:1\"}");
            assertThat(ok.path("ok").asBoolean()).as(ok.toString()).isTrue();
            assertThat(ok.path("offset").asLong()).isEqualTo(3);
        }
    }

    @Nested
    class PublishOutcome {
        private final HttpClient http =
                HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

        private HttpResponse<String> apiPublish(int port, int data) throws Exception {
            return http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/publish"))
                            .header("Authorization", "apikey " + KEY)
                            .timeout(TIMEOUT)
                            .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"room:1\",\"data\":" + data + "}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        @Test
        void aPublishRedisDoesNotAnswerInTimeIsReportedAsUnknownAndMayWellHaveHappened() throws Exception {
            ServerFixture node = node(Duration.ofMillis(800), Duration.ofSeconds(60));
            WsTestClient c = hubClient(node.port());
            assertThat(command(c, "{\"id\":1,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":1}")
                            .path("offset")
                            .asLong())
                    .isEqualTo(1);

            // Redis stalls (every client paused): the script is sent, and runs once the pause ends.
            assertThat(redis.command("CLIENT PAUSE 6000")).isEqualTo("+OK");
            JsonNode stalled = command(c, "{\"id\":2,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":2}");
            assertThat(stalled.path("error").path("code").asInt())
                    .as(stalled.toString())
                    .isEqualTo(ErrorCode.UNKNOWN_OUTCOME.code());
            HttpResponse<String> overHttp = apiPublish(node.port(), 3);
            assertThat(overHttp.statusCode()).as(overHttp.body()).isEqualTo(504);
            assertThat(HubJson.MAPPER
                            .readTree(overHttp.body())
                            .path("error")
                            .path("code")
                            .asInt())
                    .isEqualTo(ErrorCode.UNKNOWN_OUTCOME.code());

            // Both were published after all: "unknown" was the honest answer, 114 would have lied.
            await().atMost(TIMEOUT)
                    .ignoreExceptions()
                    .untilAsserted(() -> assertThat(node.hub
                                    .history(ROOM, 0L, 10)
                                    .block(TIMEOUT)
                                    .messages())
                            .hasSize(3));
        }

        @Test
        void aPublishWhileRedisIsDownStays114() throws Exception {
            ServerFixture node = node(Duration.ofMillis(800), Duration.ofSeconds(60));
            WsTestClient c = hubClient(node.port());
            command(c, "{\"id\":1,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":1}");
            redis.kill();
            JsonNode refused = command(c, "{\"id\":2,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":2}");
            assertThat(refused.path("error").path("code").asInt())
                    .as(refused.toString())
                    .isEqualTo(ErrorCode.UNAVAILABLE.code());
            HttpResponse<String> overHttp = apiPublish(node.port(), 3);
            assertThat(overHttp.statusCode()).as(overHttp.body()).isEqualTo(503);
        }
    }
}
