package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelRules;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Several hub nodes sharing channels through a real Redis of the test's own: cross-node delivery,
 * recovery on another node, presence and history over WebSocket and HTTP, a node killed mid-stream,
 * Redis going down.
 */
class ScaleOutIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String RULES = "room:*=history:100,ttl:5m,presence,join-leave";
    private static final String KEY = "test-api-key";

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
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

    private ServerFixture node() {
        HubOptions options = new HubOptions(QueueLimits.DEFAULT)
                .withChannelRules(ChannelRules.parse(List.of(RULES)))
                .withBroker(() -> RedisBroker.connect(
                        RedisBroker.parseUris(redis.uri()),
                        new RedisBroker.Options(Duration.ofSeconds(2), Duration.ofSeconds(60))));
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

    private static void publish(WsTestClient c, int n) throws Exception {
        JsonNode reply = command(c, "{\"id\":" + n + ",\"op\":\"publish\",\"channel\":\"room:1\",\"data\":" + n + "}");
        assertThat(reply.path("ok").asBoolean()).as(reply.toString()).isTrue();
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .header("Authorization", "apikey " + KEY)
                        .timeout(TIMEOUT)
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void messagesPublishedOnOneNodeReachSubscribersOnEveryNodeOnceInOrder() throws Exception {
        ServerFixture a = node();
        ServerFixture b = node();
        WsTestClient onB = hubClient(b.port());
        JsonNode subscribed = command(onB, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}");
        assertThat(subscribed.path("ok").asBoolean()).isTrue();
        WsTestClient rawOnA = WsTestClient.connect(a.port(), "/ws/room:1");
        cleanup.add(rawOnA);
        await().atMost(TIMEOUT).until(() -> a.hub.subscriberCount(ChannelName.of("room:1")) == 1);
        WsTestClient publisher = hubClient(a.port());
        for (int n = 1; n <= 100; n++) {
            publish(publisher, n);
        }
        for (int n = 1; n <= 100; n++) {
            JsonNode push = read(onB);
            assertThat(push.path("offset").asLong()).isEqualTo(n);
            assertThat(push.path("data").asInt()).isEqualTo(n);
            assertThat(rawOnA.readText()).isEqualTo(Integer.toString(n));
        }
    }

    @Test
    void aClientRecoversOnAnotherNodeWhatItMissedThenGetsLiveMessages() throws Exception {
        ServerFixture a = node();
        ServerFixture b = node();
        WsTestClient publisher = hubClient(a.port());
        WsTestClient first = hubClient(b.port());
        JsonNode subscribed = command(first, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}");
        String epoch = subscribed.path("epoch").asText();
        for (int n = 1; n <= 3; n++) {
            publish(publisher, n);
        }
        for (int n = 1; n <= 3; n++) {
            assertThat(read(first).path("offset").asLong()).isEqualTo(n);
        }
        first.close(); // gone, having seen offset 3
        for (int n = 4; n <= 8; n++) {
            publish(publisher, n); // missed
        }
        WsTestClient back = hubClient(a.port()); // back on the other node
        JsonNode reply = command(
                back,
                "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\",\"recover\":{\"offset\":3,\"epoch\":\"" + epoch
                        + "\"}}");
        assertThat(reply.path("recovered").asBoolean()).as(reply.toString()).isTrue();
        assertThat(reply.path("epoch").asText()).isEqualTo(epoch);
        publish(publisher, 9); // live
        for (int n = 4; n <= 9; n++) {
            JsonNode push = read(back);
            assertThat(push.path("offset").asLong()).as(push.toString()).isEqualTo(n);
            assertThat(push.path("data").asInt()).isEqualTo(n);
        }
        // An epoch from before Redis lost the channel, or an offset older than the history: not recovered.
        WsTestClient stale = hubClient(b.port());
        JsonNode refused = command(
                stale,
                "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\",\"recover\":{\"offset\":3,\"epoch\":\"old\"}}");
        assertThat(refused.path("recovered").asBoolean()).isFalse();
        assertThat(refused.path("offset").asLong()).isEqualTo(9);
    }

    @Test
    void presenceAndHistoryAreTheSameOnEveryNodeOverWebSocketAndHttp() throws Exception {
        ServerFixture a = node();
        ServerFixture b = node();
        WsTestClient watcher = hubClient(a.port());
        command(watcher, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\",\"joinLeave\":true}");
        WsTestClient joiner = hubClient(b.port());
        command(joiner, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}");
        // Two joins: the watcher's own and the joiner's, in whichever order Redis saw them.
        Set<String> joined = new HashSet<>();
        for (int i = 0; i < 2; i++) {
            JsonNode join = read(watcher);
            assertThat(join.path("channel").asText()).isEqualTo("room:1");
            joined.add(join.path("join").path("client").asText());
        }
        assertThat(joined).hasSize(2).doesNotContain("");

        JsonNode presence = command(watcher, "{\"id\":2,\"op\":\"presence\",\"channel\":\"room:1\"}");
        assertThat(presence.path("clients")).hasSize(2);
        HttpResponse<String> overHttp = get(b.port(), "/api/channels/room:1/presence");
        assertThat(overHttp.statusCode()).isEqualTo(200);
        assertThat(HubJson.MAPPER.readTree(overHttp.body()).path("clients")).hasSize(2);

        command(joiner, "{\"id\":2,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":{\"t\":\"x\"}}");
        assertThat(read(watcher).path("data").path("t").asText()).isEqualTo("x");
        JsonNode history = command(watcher, "{\"id\":3,\"op\":\"history\",\"channel\":\"room:1\",\"limit\":10}");
        assertThat(history.path("messages")).hasSize(1);
        assertThat(history.path("messages").get(0).path("data").path("t").asText())
                .isEqualTo("x");
        HttpResponse<String> historyOverHttp = get(b.port(), "/api/channels/room:1/history?limit=10&since=0");
        assertThat(historyOverHttp.statusCode()).isEqualTo(200);
        assertThat(HubJson.MAPPER
                        .readTree(historyOverHttp.body())
                        .path("messages")
                        .get(0)
                        .path("offset")
                        .asLong())
                .isEqualTo(1);

        joiner.close();
        JsonNode leave = read(watcher);
        assertThat(joined).contains(leave.path("leave").path("client").asText());
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(HubJson.MAPPER
                                .readTree(get(a.port(), "/api/channels/room:1/presence")
                                        .body())
                                .path("clients"))
                        .hasSize(1));
        // Channels without history or presence say so.
        assertThat(get(a.port(), "/api/channels/other/history").statusCode()).isEqualTo(404);
        JsonNode notEnabled = command(watcher, "{\"id\":4,\"op\":\"presence\",\"channel\":\"other\"}");
        assertThat(notEnabled.path("error").path("code").asInt()).isEqualTo(ErrorCode.NOT_ENABLED.code());
    }

    @Test
    void whenANodeIsKilledItsClientsRecoverOnAnotherAndItsPresenceExpires() throws Exception {
        ServerFixture a = node();
        ServerProcess doomed = ServerProcess.start(
                "--redis", redis.uri(), "--channel-options", RULES, "--presence-ttl", "2s", "--api-key", KEY);
        cleanup.add(doomed);
        WsTestClient publisher = hubClient(a.port());
        WsTestClient client = WsTestClient.connect(doomed.port, "/hub");
        JsonNode subscribed = command(client, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}");
        String epoch = subscribed.path("epoch").asText();
        for (int n = 1; n <= 5; n++) {
            publish(publisher, n);
        }
        long last = 0;
        for (int n = 1; n <= 5; n++) {
            last = read(client).path("offset").asLong();
        }
        assertThat(last).isEqualTo(5);
        JsonNode before = HubJson.MAPPER
                .readTree(get(a.port(), "/api/channels/room:1/presence").body())
                .path("clients");
        assertThat(before).hasSize(1); // the subscriber on the doomed node (the publisher subscribes to nothing)
        String doomedClient = before.get(0).path("client").asText();

        doomed.kill(); // mid-stream: the publisher goes on
        for (int n = 6; n <= 10; n++) {
            publish(publisher, n);
        }
        WsTestClient reconnected = hubClient(a.port());
        JsonNode reply = command(
                reconnected,
                "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\",\"recover\":{\"offset\":" + last
                        + ",\"epoch\":\"" + epoch + "\"}}");
        assertThat(reply.path("recovered").asBoolean()).as(reply.toString()).isTrue();
        for (int n = 6; n <= 10; n++) {
            assertThat(read(reconnected).path("offset").asLong()).isEqualTo(n);
        }
        // The dead node's client leaves presence once its entry is no longer refreshed (TTL 2 s);
        // the reconnected client is there.
        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode clients = HubJson.MAPPER
                    .readTree(get(a.port(), "/api/channels/room:1/presence").body())
                    .path("clients");
            assertThat(clients).hasSize(1);
            assertThat(clients.get(0).path("client").asText()).isNotEqualTo(doomedClient);
        });
    }

    @Test
    void whileRedisIsDownPublishesFailWith114AndRawPublishersGet1013() throws Exception {
        ServerFixture a = node();
        WsTestClient hub = hubClient(a.port());
        String epoch = command(hub, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}")
                .path("epoch")
                .asText();
        WsTestClient raw = WsTestClient.connect(a.port(), "/ws/room:2");
        cleanup.add(raw);
        await().atMost(TIMEOUT).until(() -> a.hub.subscriberCount(ChannelName.of("room:2")) == 1);
        redis.kill();
        JsonNode failed = command(hub, "{\"id\":2,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":1}");
        assertThat(failed.path("error").path("code").asInt()).isEqualTo(ErrorCode.UNAVAILABLE.code());
        raw.sendText("lost?");
        assertThat(raw.readCloseCode()).isEqualTo(CloseCodes.TRY_AGAIN_LATER);
        HttpResponse<String> api = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.port() + "/api/publish"))
                        .header("Authorization", "apikey " + KEY)
                        .timeout(TIMEOUT)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"room:1\",\"data\":1}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(api.statusCode()).isEqualTo(503);

        redis.restart(); // empty: Redis lost the channel's history and epoch
        // Back: the node subscribes again and tells the subscriber it may have missed messages.
        JsonNode push = read(hub);
        assertThat(push.path("channel").asText()).isEqualTo("room:1");
        assertThat(push.path("unsubscribed").path("code").asInt())
                .as(push.toString())
                .isEqualTo(HubJson.RESUBSCRIBE);
        // It resubscribes with recover: the history is gone with the old Redis, and the reply says so.
        JsonNode again = command(
                hub,
                "{\"id\":3,\"op\":\"subscribe\",\"channel\":\"room:1\",\"recover\":{\"offset\":0,\"epoch\":\"" + epoch
                        + "\"}}");
        assertThat(again.path("recovered").asBoolean()).as(again.toString()).isFalse();
        assertThat(again.path("epoch").asText()).isNotEqualTo(epoch);
        JsonNode published = command(hub, "{\"id\":4,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":4}");
        JsonNode first = published.has("id") ? read(hub) : published; // reply and push, in either order
        JsonNode second = published.has("id") ? published : read(hub);
        assertThat(second.path("ok").asBoolean()).as(second.toString()).isTrue();
        assertThat(first.path("data").asInt()).isEqualTo(4);
        // Counted: the hub publish, the raw message and the HTTP publish refused; one resubscribe asked.
        String metrics = get(a.port(), "/metrics").body();
        assertThat(metrics).contains("hub_broker_unavailable_total 3.0").contains("hub_resubscribe_requests_total 1.0");
    }
}
