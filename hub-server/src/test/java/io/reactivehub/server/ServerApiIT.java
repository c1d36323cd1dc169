package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.redis.RedisBroker;
import io.reactivehub.core.testing.RedisProcess;
import io.reactivehub.server.auth.TokenVerifier;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.protocol.HubJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The server API on two hub nodes sharing a Redis of the test's own: every user operation reaches
 * the user's connections on both nodes, lists aggregate both nodes, and a killed node drops out of
 * {@code info} after its TTL. Real sockets, real Redis, no mocks.
 */
class ServerApiIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String KEY = "test-api-key";
    private static final String SECRET = "0123456789abcdef0123456789abcdef-server-api";
    private static final String RULES = "room:*=history:10,ttl:5m,presence";
    private static final Duration NODE_TTL = Duration.ofMillis(1500);

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private RedisProcess redis;
    private ServerFixture a;
    private ServerFixture b;

    @BeforeEach
    void start() {
        redis = RedisProcess.start();
        a = node();
        b = node();
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
                        new RedisBroker.Options(Duration.ofSeconds(2), Duration.ofSeconds(60), NODE_TTL)));
        ServerFixture node =
                new ServerFixture(ServerConfig.DEFAULT.withApiKey(KEY).withTokens(TokenVerifier.hmac(SECRET)), options);
        cleanup.add(node);
        return node;
    }

    private static String token(String user) throws Exception {
        SignedJWT jwt = new SignedJWT(
                new JWSHeader(JWSAlgorithm.HS256),
                new JWTClaimsSet.Builder()
                        .subject(user)
                        .claim("subs", List.of("*"))
                        .claim("pubs", List.of("*"))
                        .expirationTime(Date.from(Instant.now().plusSeconds(3600)))
                        .build());
        jwt.sign(new MACSigner(SECRET));
        return jwt.serialize();
    }

    private WsTestClient connect(ServerFixture node, String user) throws Exception {
        WsTestClient c = WsTestClient.connect(node.port(), "/hub", "Authorization: Bearer " + token(user) + "\r\n");
        cleanup.add(c);
        return c;
    }

    /** Connected and indexed under its user on that node (the index is what user commands use). */
    private WsTestClient connected(ServerFixture node, String user) throws Exception {
        int before = node.server.sessions().sessionsOf(user).size();
        WsTestClient c = connect(node, user);
        await().atMost(TIMEOUT)
                .until(() -> node.server.sessions().sessionsOf(user).size() == before + 1);
        return c;
    }

    private static JsonNode read(WsTestClient c) throws Exception {
        return HubJson.MAPPER.readTree(c.readText());
    }

    private record Reply(int status, JsonNode body) {}

    private Reply send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> res = http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.headers().firstValue("content-type")).hasValue("application/json");
        return new Reply(res.statusCode(), HubJson.MAPPER.readTree(res.body()));
    }

    private Reply post(ServerFixture node, String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
                .header("Authorization", "apikey " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private Reply get(ServerFixture node, String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
                .header("Authorization", "apikey " + KEY)
                .GET());
    }

    private static void ok(Reply r) {
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        assertThat(r.body().path("ok").asBoolean()).isTrue();
    }

    private void subscribe(WsTestClient c, int id, String channel) throws Exception {
        c.sendText("{\"id\":" + id + ",\"op\":\"subscribe\",\"channel\":\"" + channel + "\"}");
        assertThat(read(c).path("ok").asBoolean()).isTrue();
    }

    @Test
    void disconnectClosesTheUsersConnectionsOnBothNodesWithTheCodeAndReason() throws Exception {
        WsTestClient annA = connected(a, "ann");
        WsTestClient annB = connected(b, "ann");
        connected(a, "bob");

        ok(post(a, "/api/disconnect", "{\"user\":\"ann\",\"code\":4100,\"reason\":\"bye\"}"));

        assertThat(annA.readCloseCode()).isEqualTo(4100);
        assertThat(annB.readCloseCode()).isEqualTo(4100);
        await().atMost(TIMEOUT).until(() -> a.server.connections() == 1 && b.server.connections() == 0);
        assertThat(a.server.sessions().sessionsOf("bob")).hasSize(1);
    }

    @Test
    void disconnectWithoutACodeUses4008AndRefusesCodesOutside4000To4999() throws Exception {
        WsTestClient ann = connected(b, "ann");
        Reply bad = post(a, "/api/disconnect", "{\"user\":\"ann\",\"code\":1000}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().path("error").path("code").asInt()).isEqualTo(104);

        ok(post(a, "/api/disconnect", "{\"user\":\"ann\"}"));
        assertThat(ann.readCloseCode()).isEqualTo(CloseCodes.DISCONNECTED_BY_SERVER);
    }

    @Test
    void subscribeAndUnsubscribeAUserOnBothNodes() throws Exception {
        WsTestClient annA = connected(a, "ann");
        WsTestClient annB = connected(b, "ann");

        ok(post(b, "/api/subscribe", "{\"user\":\"ann\",\"channel\":\"news\"}"));
        for (WsTestClient c : List.of(annA, annB)) {
            JsonNode push = read(c);
            assertThat(push.path("channel").asText()).isEqualTo("news");
            assertThat(push.has("subscribed")).as(push.toString()).isTrue();
        }
        ok(post(a, "/api/publish", "{\"channel\":\"news\",\"data\":{\"n\":1}}"));
        for (WsTestClient c : List.of(annA, annB)) {
            assertThat(read(c).path("data").path("n").asInt()).isEqualTo(1);
        }

        ok(post(a, "/api/unsubscribe", "{\"user\":\"ann\",\"channel\":\"news\"}"));
        for (WsTestClient c : List.of(annA, annB)) {
            JsonNode push = read(c);
            assertThat(push.path("channel").asText()).isEqualTo("news");
            assertThat(push.path("unsubscribed").path("code").asInt()).isEqualTo(4009);
        }
        await().atMost(TIMEOUT).until(() -> a.hub.channelCount() == 0 && b.hub.channelCount() == 0);
    }

    @Test
    void channelsAndInfoAggregateBothNodes() throws Exception {
        WsTestClient annA = connected(a, "ann");
        WsTestClient annB = connected(b, "ann");
        WsTestClient bob = connected(a, "bob");
        subscribe(annA, 1, "news");
        subscribe(annB, 1, "news");
        subscribe(bob, 1, "room:1");
        subscribe(bob, 2, "room:2");

        JsonNode all = get(a, "/api/channels").body();
        assertThat(all.path("complete").asBoolean()).isTrue();
        assertThat(counts(all)).isEqualTo(Map.of("news", 2L, "room:1", 1L, "room:2", 1L));
        assertThat(all.path("cursor").isNull()).isTrue();

        JsonNode rooms = get(b, "/api/channels?pattern=room:*").body();
        assertThat(counts(rooms)).isEqualTo(Map.of("room:1", 1L, "room:2", 1L));

        JsonNode first = get(b, "/api/channels?limit=2").body();
        assertThat(counts(first)).isEqualTo(Map.of("news", 2L, "room:1", 1L));
        String cursor = first.path("cursor").asText();
        JsonNode second = get(b, "/api/channels?limit=2&cursor=" + cursor).body();
        assertThat(counts(second)).isEqualTo(Map.of("room:2", 1L));
        assertThat(second.path("cursor").isNull()).isTrue();

        // Another node's entry is as fresh as its last refresh (every TTL/3): wait for one after the connects.
        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode info = get(b, "/api/info").body();
            assertThat(info.path("nodes")).hasSize(2);
            long connections = 0;
            for (JsonNode n : info.path("nodes")) {
                connections += n.path("connections").asLong();
                assertThat(n.path("version").asText()).isNotEmpty();
                assertThat(n.path("uptime").asLong()).isGreaterThanOrEqualTo(0);
            }
            assertThat(connections).isEqualTo(3);
        });

        Reply badLimit = get(a, "/api/channels?limit=5000");
        assertThat(badLimit.status()).isEqualTo(400);
        assertThat(badLimit.body().path("error").path("code").asInt()).isEqualTo(104);
    }

    private static Map<String, Long> counts(JsonNode page) {
        Map<String, Long> counts = new java.util.LinkedHashMap<>();
        page.path("channels")
                .forEach(c -> counts.put(
                        c.path("channel").asText(), c.path("subscribers").asLong()));
        return counts;
    }

    @Test
    void broadcastPublishesToEachChannel() throws Exception {
        WsTestClient ann = connected(b, "ann");
        subscribe(ann, 1, "room:1");
        subscribe(ann, 2, "room:2");

        Reply r = post(a, "/api/broadcast", "{\"channels\":[\"room:1\",\"room:2\",\"room:3\"],\"data\":\"hi\"}");
        ok(r);
        JsonNode results = r.body().path("results");
        assertThat(results).hasSize(3);
        assertThat(results.get(0).path("channel").asText()).isEqualTo("room:1");
        assertThat(results.get(0).path("offset").asLong()).isEqualTo(1);
        assertThat(results.get(2).path("channel").asText()).isEqualTo("room:3");
        List<String> got = List.of(
                read(ann).path("channel").asText(), read(ann).path("channel").asText());
        assertThat(got).containsExactly("room:1", "room:2");

        Reply twice = post(a, "/api/broadcast", "{\"channels\":[\"room:1\",\"room:1\"],\"data\":1}");
        assertThat(twice.status()).isEqualTo(400);
        StringBuilder many = new StringBuilder("{\"data\":1,\"channels\":[");
        for (int i = 0; i <= HubControl.MAX_BROADCAST_CHANNELS; i++) {
            many.append(i == 0 ? "" : ",").append("\"c").append(i).append('"');
        }
        Reply tooMany = post(a, "/api/broadcast", many.append("]}").toString());
        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(tooMany.body().path("error").path("code").asInt()).isEqualTo(104);
    }

    @Test
    void refreshGivesTheUsersConnectionsANewExpiryOnBothNodes() throws Exception {
        WsTestClient annA = connected(a, "ann");
        WsTestClient annB = connected(b, "ann");
        long soon = Instant.now().getEpochSecond() + 2;

        ok(post(b, "/api/refresh", "{\"user\":\"ann\",\"expires\":" + soon + "}"));

        assertThat(annA.readCloseCode()).isEqualTo(CloseCodes.TOKEN_EXPIRED);
        assertThat(annB.readCloseCode()).isEqualTo(CloseCodes.TOKEN_EXPIRED);
        Reply past = post(b, "/api/refresh", "{\"user\":\"ann\",\"expires\":1}");
        assertThat(past.status()).isEqualTo(400);
    }

    @Test
    void presenceStatsCountConnectionsAndUsersOfBothNodes() throws Exception {
        subscribe(connected(a, "ann"), 1, "room:1");
        subscribe(connected(b, "ann"), 1, "room:1");
        subscribe(connected(b, "bob"), 1, "room:1");

        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode stats = get(a, "/api/channels/room:1/presence_stats").body();
            assertThat(stats.path("connections").asInt()).isEqualTo(3);
            assertThat(stats.path("users").asInt()).isEqualTo(2);
            assertThat(stats.has("clients")).isFalse();
        });
        Reply off = get(a, "/api/channels/news/presence_stats");
        assertThat(off.status()).isEqualTo(404);
        assertThat(off.body().path("error").path("code").asInt()).isEqualTo(115);
    }

    @Test
    void batchRunsEachCommandInOrderWithOneReplyEach() throws Exception {
        WsTestClient ann = connected(b, "ann");
        subscribe(ann, 1, "room:1");
        Reply r = post(
                a,
                "/api/batch",
                "{\"commands\":["
                        + "{\"method\":\"publish\",\"params\":{\"channel\":\"room:1\",\"data\":1}},"
                        + "{\"method\":\"publish\",\"params\":{\"channel\":\"room:1\",\"data\":2}},"
                        + "{\"method\":\"nope\"},"
                        + "{\"method\":\"presence_stats\",\"params\":{\"channel\":\"bad channel\"}},"
                        + "{\"method\":\"info\"}]}");
        ok(r);
        JsonNode replies = r.body().path("replies");
        assertThat(replies).hasSize(5);
        assertThat(replies.get(0).path("offset").asLong()).isEqualTo(1);
        assertThat(replies.get(1).path("offset").asLong()).isEqualTo(2);
        assertThat(replies.get(2).path("error").path("code").asInt()).isEqualTo(102);
        assertThat(replies.get(3).path("error").path("code").asInt()).isEqualTo(105);
        assertThat(replies.get(4).path("nodes")).hasSize(2);
        assertThat(read(ann).path("data").asInt()).isEqualTo(1);
        assertThat(read(ann).path("data").asInt()).isEqualTo(2);
    }

    @Test
    void badRequestsGetDocumentedJsonErrorsAndChangeNothing() throws Exception {
        Reply wrongKey = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.port() + "/api/info"))
                .header("Authorization", "apikey wrong")
                .GET());
        assertThat(wrongKey.status()).isEqualTo(401);
        assertThat(wrongKey.body().path("error").path("code").asInt()).isEqualTo(112);

        Reply malformed = post(a, "/api/subscribe", "{not json");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.body().path("error").path("code").asInt()).isEqualTo(101);

        Reply missing = post(a, "/api/subscribe", "{\"channel\":\"news\"}");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.body().path("error").path("code").asInt()).isEqualTo(103);

        String huge =
                "{\"commands\":[],\"pad\":\"" + "x".repeat(ServerConfig.DEFAULT_MAX_MESSAGE_SIZE + 70_000) + "\"}";
        Reply tooLarge = post(a, "/api/batch", huge);
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.body().path("error").path("code").asInt()).isEqualTo(116);

        StringBuilder many = new StringBuilder("{\"commands\":[");
        for (int i = 0; i <= 100; i++) {
            many.append(i == 0 ? "" : ",").append("{\"method\":\"info\"}");
        }
        Reply tooMany = post(a, "/api/batch", many.append("]}").toString());
        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(tooMany.body().path("error").path("code").asInt()).isEqualTo(104);

        assertThat(a.hub.channelCount()).isZero();
        assertThat(get(a, "/api/info").body().path("nodes")).hasSize(2);
    }

    @Test
    void theOpenApiDocumentIsServedAndEveryPathItDocumentsAnswersAsDocumented() throws Exception {
        HttpResponse<String> res = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.port() + "/api/openapi.json"))
                        .timeout(TIMEOUT)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode doc = HubJson.MAPPER.readTree(res.body());
        assertThat(doc.path("openapi").asText()).startsWith("3.");
        assertThat(doc.path("paths").size()).isGreaterThanOrEqualTo(13);
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> path = it.next();
            String url = path.getKey().replace("{channel}", "room:1");
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                Reply r = op.getKey().equals("post") ? post(a, url, "{}") : get(a, url);
                assertThat(op.getValue().path("responses").has(String.valueOf(r.status())))
                        .as(op.getKey() + " " + url + " answered " + r.status() + " " + r.body())
                        .isTrue();
            }
        }
    }

    @Test
    void aKilledNodeDropsOutOfInfoAfterItsTtl() throws Exception {
        ServerProcess doomed = ServerProcess.start("--redis", redis.uri(), "--api-key", KEY, "--jwt-secret", SECRET);
        cleanup.add(doomed);
        await().atMost(TIMEOUT)
                .until(() -> get(a, "/api/info").body().path("nodes").size() == 3);

        doomed.kill(); // SIGKILL: no cleanup, its entry stays until its TTL passes
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> get(a, "/api/info").body().path("nodes").size() == 2);
        JsonNode channels = get(b, "/api/channels").body();
        assertThat(channels.path("complete").asBoolean()).isTrue();
    }
}
