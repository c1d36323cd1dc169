package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.hooks.Hooks;
import io.reactivehub.server.hooks.HttpHooks;
import io.reactivehub.server.protocol.HubJson;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The HTTP hooks against a real backend: a Reactor Netty server started by the test, holding its
 * own state (who may read which room), on loopback; clients on real sockets.
 */
class HttpHooksIT {
    private static final Duration HOOK_TIMEOUT = Duration.ofSeconds(1);

    /** The backend's "database": room members. */
    private final Map<String, Set<String>> members = new ConcurrentHashMap<>();

    private DisposableServer backend;
    private ServerFixture fixture;

    @BeforeEach
    void startBackend() {
        members.put("room:1", Set.of("alice"));
        backend = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .route(routes -> routes.post("/connect", json(this::connect))
                        .post("/subscribe", json(this::subscribe))
                        .post("/publish", json(this::publish))
                        .post("/rpc", json(this::rpc))
                        .post("/garbage", (req, res) -> res.sendString(Mono.just("<html>not json</html>")))
                        .post(
                                "/huge",
                                (req, res) -> res.sendString(Mono.just("{\"result\":{\"data\":\""
                                        + "x".repeat(HttpHooks.DEFAULT_MAX_RESPONSE_SIZE) + "\"}}")))
                        .post(
                                "/error",
                                (req, res) -> res.status(HttpResponseStatus.INTERNAL_SERVER_ERROR)
                                        .send())
                        .post("/slow", (req, res) -> Mono.never()))
                .bindNow(Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
        backend.disposeNow(Duration.ofSeconds(10));
    }

    /** A route answering JSON with JSON. */
    private static java.util.function.BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> json(
            Function<JsonNode, JsonNode> handler) {
        return (req, res) -> req.receive()
                .aggregate()
                .asByteArray()
                .map(bytes -> {
                    try {
                        return handler.apply(HubJson.MAPPER.readTree(bytes)).toString();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .flatMap(body -> res.header("Content-Type", "application/json")
                        .sendString(Mono.just(body))
                        .then());
    }

    private JsonNode connect(JsonNode req) {
        ObjectNode answer = HubJson.MAPPER.createObjectNode();
        String user = req.path("headers")
                .path("x-user")
                .asText(req.path("cookies").path("session").asText(""));
        if (user.isEmpty() || user.equals("mallory")) {
            answer.putObject("error").put("code", 4403).put("reason", "who are you?");
            return answer;
        }
        ObjectNode result = answer.putObject("result");
        result.put("user", user);
        result.putObject("info").put("name", user.toUpperCase());
        result.putArray("channels").add("notifications#" + user);
        return answer;
    }

    private JsonNode subscribe(JsonNode req) {
        ObjectNode answer = HubJson.MAPPER.createObjectNode();
        String channel = req.path("channel").asText();
        String user = req.path("user").asText();
        if (members.getOrDefault(channel, Set.of()).contains(user)) {
            answer.putObject("result").putObject("info").put("role", "member");
        } else {
            answer.putObject("error").put("message", "not a member of " + channel);
        }
        return answer;
    }

    private JsonNode publish(JsonNode req) {
        ObjectNode answer = HubJson.MAPPER.createObjectNode();
        String text = req.path("data").path("text").asText();
        if (text.contains("spam")) {
            answer.putObject("error").put("message", "no spam");
            return answer;
        }
        ObjectNode data = answer.putObject("result").putObject("data");
        data.put("text", text.toUpperCase());
        data.put("by", req.path("info").path("name").asText());
        return answer;
    }

    private JsonNode rpc(JsonNode req) {
        ObjectNode answer = HubJson.MAPPER.createObjectNode();
        if (req.path("method").asText().equals("sum")) {
            int sum = 0;
            for (JsonNode n : req.path("data")) {
                sum += n.asInt();
            }
            answer.putObject("result").put("data", sum);
        } else {
            answer.putObject("error").put("message", "no such method");
        }
        return answer;
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + backend.port() + path);
    }

    private void start(HttpHooks.Endpoints endpoints, Function<ServerConfig, ServerConfig> tweak) {
        Hooks hooks = HttpHooks.create(HOOK_TIMEOUT, HttpHooks.DEFAULT_MAX_RESPONSE_SIZE, 16)
                .applyTo(
                        Hooks.builder()
                                .timeout(HOOK_TIMEOUT)
                                .forwardHeaders(java.util.List.of("X-User"))
                                .forwardCookies(java.util.List.of("session")),
                        endpoints)
                .build();
        fixture = new ServerFixture(tweak.apply(ServerConfig.DEFAULT.withHooks(hooks)));
    }

    private void startAll() {
        start(new HttpHooks.Endpoints(url("/connect"), null, url("/subscribe"), url("/publish"), url("/rpc")), c -> c);
    }

    private WsTestClient connectAs(String user) throws IOException {
        return WsTestClient.connect(fixture.port(), "/hub", "X-User: " + user + "\r\n");
    }

    static JsonNode readUntil(WsTestClient client, Predicate<JsonNode> wanted) throws IOException {
        while (true) {
            JsonNode frame = HubJson.MAPPER.readTree(client.readText());
            if (wanted.test(frame)) {
                return frame;
            }
        }
    }

    static JsonNode reply(WsTestClient client, int id, String command) throws IOException {
        client.sendText(command);
        return readUntil(client, f -> f.path("id").asInt(-1) == id);
    }

    @Nested
    class Connect {
        @Test
        void theBackendAllowsAUserFromAForwardedHeaderAndSubscribesItsPersonalChannel() throws Exception {
            startAll();
            try (WsTestClient alice = connectAs("alice")) {
                JsonNode pushed = readUntil(alice, f -> f.has("subscribed"));
                assertThat(pushed.path("channel").asText()).isEqualTo("notifications#alice");
                await().atMost(Duration.ofSeconds(30))
                        .until(() ->
                                fixture.server.sessions().sessionsOf("alice").size() == 1);
            }
        }

        @Test
        void aCookieOnTheAllowListReachesTheBackend() throws Exception {
            startAll();
            try (WsTestClient bob = WsTestClient.connect(fixture.port(), "/hub", "Cookie: other=x; session=bob\r\n")) {
                JsonNode pushed = readUntil(bob, f -> f.has("subscribed"));
                assertThat(pushed.path("channel").asText()).isEqualTo("notifications#bob");
            }
        }

        @Test
        void theBackendRefusesWithItsOwnCloseCode() throws Exception {
            startAll();
            try (WsTestClient mallory = connectAs("mallory")) {
                assertThat(mallory.readCloseCode()).isEqualTo(4403);
            }
        }

        @Test
        void aBackendThatIsDownClosesWith1013() throws Exception {
            start(new HttpHooks.Endpoints(URI.create("http://127.0.0.1:1/connect"), null, null, null, null), c -> c);
            try (WsTestClient alice = connectAs("alice")) {
                assertThat(alice.readCloseCode()).isEqualTo(CloseCodes.TRY_AGAIN_LATER);
            }
        }

        @Test
        void aSlowBackendClosesWith1013AfterTheTimeoutNotAHang() throws Exception {
            start(new HttpHooks.Endpoints(url("/slow"), null, null, null, null), c -> c);
            long start = System.nanoTime();
            try (WsTestClient alice = connectAs("alice")) {
                assertThat(alice.readCloseCode()).isEqualTo(CloseCodes.TRY_AGAIN_LATER);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        }

        @Test
        void aGarbageAnswerClosesWith1013() throws Exception {
            start(new HttpHooks.Endpoints(url("/garbage"), null, null, null, null), c -> c);
            try (WsTestClient alice = connectAs("alice")) {
                assertThat(alice.readCloseCode()).isEqualTo(CloseCodes.TRY_AGAIN_LATER);
            }
        }
    }

    @Nested
    class Subscribe {
        @Test
        void theBackendDeniesANonMemberAndAllowsAMemberWithInfo() throws Exception {
            startAll();
            try (WsTestClient alice = connectAs("alice");
                    WsTestClient bob = connectAs("bob")) {
                JsonNode denied = reply(bob, 1, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}");
                assertThat(denied.path("error").path("code").asInt()).isEqualTo(ErrorCode.PERMISSION_DENIED.code());
                assertThat(denied.path("error").path("message").asText()).isEqualTo("not a member of room:1");

                JsonNode allowed = reply(alice, 1, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}");
                assertThat(allowed.path("ok").asBoolean()).isTrue();
                assertThat(allowed.path("info").path("role").asText()).isEqualTo("member");

                members.put("room:1", Set.of("alice", "bob")); // the backend's state changes
                JsonNode now = reply(bob, 2, "{\"id\":2,\"op\":\"subscribe\",\"channel\":\"room:1\"}");
                assertThat(now.path("ok").asBoolean()).isTrue();
            }
        }

        @Test
        void anotherUsersPersonalChannelIsDeniedWithoutAskingTheBackend() throws Exception {
            startAll();
            try (WsTestClient bob = connectAs("bob")) {
                JsonNode denied = reply(bob, 1, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"notifications#alice\"}");
                assertThat(denied.path("error").path("code").asInt()).isEqualTo(ErrorCode.PERMISSION_DENIED.code());
                assertThat(denied.path("error").path("message").asText()).contains("another user");
            }
        }

        @Test
        void aSlowBackendIsError119AfterTheTimeout() throws Exception {
            start(new HttpHooks.Endpoints(url("/connect"), null, url("/slow"), null, null), c -> c);
            try (WsTestClient alice = connectAs("alice")) {
                JsonNode failed = reply(alice, 1, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}");
                assertThat(failed.path("error").path("code").asInt()).isEqualTo(ErrorCode.HOOK_FAILED.code());
                assertThat(failed.path("error").path("message").asText()).contains("did not answer within 1s");
                // The connection is still usable.
                assertThat(reply(alice, 2, "{\"id\":2,\"op\":\"ping\"}")
                                .path("ok")
                                .asBoolean())
                        .isTrue();
            }
        }

        @Test
        void aBackendThatIsDownGarbledOrFailingIsError119() throws Exception {
            for (String path : new String[] {"/garbage", "/error", "/huge"}) {
                start(new HttpHooks.Endpoints(url("/connect"), null, url(path), null, null), c -> c);
                try (WsTestClient alice = connectAs("alice")) {
                    JsonNode failed = reply(alice, 1, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}");
                    assertThat(failed.path("error").path("code").asInt())
                            .as(path)
                            .isEqualTo(ErrorCode.HOOK_FAILED.code());
                }
                fixture.close();
                fixture = null;
            }
        }
    }

    @Nested
    class Publish {
        @Test
        void theBackendRewritesTheDataAndDeniesSpam() throws Exception {
            startAll();
            try (WsTestClient alice = connectAs("alice")) {
                reply(alice, 1, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}");
                JsonNode published = reply(
                        alice, 2, "{\"id\":2,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":{\"text\":\"hi\"}}");
                assertThat(published.path("ok").asBoolean()).isTrue();
                JsonNode push = readUntil(
                        alice, f -> f.has("data") && f.path("channel").asText().equals("room:1"));
                assertThat(push.path("data").path("text").asText()).isEqualTo("HI");
                assertThat(push.path("data").path("by").asText()).isEqualTo("ALICE");

                JsonNode spam = reply(
                        alice, 3, "{\"id\":3,\"op\":\"publish\",\"channel\":\"room:1\",\"data\":{\"text\":\"spam\"}}");
                assertThat(spam.path("error").path("code").asInt()).isEqualTo(ErrorCode.PERMISSION_DENIED.code());
            }
        }

        @Test
        void publishesThroughTheHookKeepTheirOrder() throws Exception {
            startAll();
            try (WsTestClient alice = connectAs("alice")) {
                reply(alice, 1, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:1\"}");
                String[] sends = new String[20];
                for (int i = 0; i < sends.length; i++) {
                    sends[i] = "{\"op\":\"publish\",\"channel\":\"room:1\",\"data\":{\"text\":\"m" + i + "\"}}";
                }
                alice.sendTexts(sends);
                for (int i = 0; i < sends.length; i++) {
                    JsonNode push = readUntil(alice, f -> f.has("offset") && f.has("data") && !f.has("id"));
                    assertThat(push.path("data").path("text").asText()).isEqualTo("M" + i);
                }
            }
        }
    }

    @Nested
    class Rpc {
        @Test
        void theBackendAnswersACall() throws Exception {
            startAll();
            try (WsTestClient alice = connectAs("alice")) {
                JsonNode sum = reply(alice, 1, "{\"id\":1,\"op\":\"rpc\",\"method\":\"sum\",\"data\":[1,2,3]}");
                assertThat(sum.path("ok").asBoolean()).isTrue();
                assertThat(sum.path("data").asInt()).isEqualTo(6);
                JsonNode unknown = reply(alice, 2, "{\"id\":2,\"op\":\"rpc\",\"method\":\"nope\"}");
                assertThat(unknown.path("error").path("code").asInt()).isEqualTo(ErrorCode.RPC_ERROR.code());
                assertThat(unknown.path("error").path("message").asText()).isEqualTo("no such method");
            }
        }

        @Test
        void aBackendThatIsDownIsError119() throws Exception {
            start(
                    new HttpHooks.Endpoints(url("/connect"), null, null, null, URI.create("http://127.0.0.1:1/rpc")),
                    c -> c);
            try (WsTestClient alice = connectAs("alice")) {
                JsonNode failed = reply(alice, 1, "{\"id\":1,\"op\":\"rpc\",\"method\":\"sum\",\"data\":[1]}");
                assertThat(failed.path("error").path("code").asInt()).isEqualTo(ErrorCode.HOOK_FAILED.code());
            }
        }

        @Test
        void withoutAnRpcHookRpcIsNotEnabled() throws Exception {
            start(new HttpHooks.Endpoints(url("/connect"), null, null, null, null), c -> c);
            try (WsTestClient alice = connectAs("alice")) {
                JsonNode failed = reply(alice, 1, "{\"id\":1,\"op\":\"rpc\",\"method\":\"sum\"}");
                assertThat(failed.path("error").path("code").asInt()).isEqualTo(ErrorCode.NOT_ENABLED.code());
            }
        }
    }

    @Nested
    class Users {
        @Test
        void aUserOverThePerUserLimitIsClosedWith4007() throws Exception {
            start(
                    new HttpHooks.Endpoints(url("/connect"), null, null, null, null),
                    c -> c.withLimits(c.limits().withMaxConnectionsPerUser(2)));
            try (WsTestClient a1 = connectAs("alice");
                    WsTestClient a2 = connectAs("alice");
                    WsTestClient b1 = connectAs("bob")) {
                readUntil(a1, f -> f.has("subscribed"));
                readUntil(a2, f -> f.has("subscribed"));
                try (WsTestClient a3 = connectAs("alice")) {
                    assertThat(a3.readCloseCode()).isEqualTo(CloseCodes.USER_CONNECTION_LIMIT);
                }
                readUntil(b1, f -> f.has("subscribed"));
                assertThat(fixture.server.sessions().sessionsOf("alice")).hasSize(2);
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> fixture.server.sessions().users() == 0);
        }
    }
}
