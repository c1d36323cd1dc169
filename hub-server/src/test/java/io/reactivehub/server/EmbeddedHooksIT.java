package io.reactivehub.server;

import static io.reactivehub.server.HttpHooksIT.readUntil;
import static io.reactivehub.server.HttpHooksIT.reply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubOptions;
import io.reactivehub.server.auth.TokenVerifier;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.hooks.ConnectResult;
import io.reactivehub.server.hooks.Hooks;
import io.reactivehub.server.hooks.RefreshResult;
import io.reactivehub.server.hooks.SubscribeDecision;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Hooks as Java code of an application that embeds the server (the builder), and how they combine
 * with JWT: a valid token skips the connect hook, its {@code subs} skip the subscribe hook.
 */
class EmbeddedHooksIT {
    private static final String SECRET = "0123456789abcdef0123456789abcdef-test-secret";

    private final AtomicInteger connectCalls = new AtomicInteger();
    private final AtomicInteger subscribeCalls = new AtomicInteger();
    private final AtomicInteger refreshCalls = new AtomicInteger();
    private ServerFixture fixture;

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** The application: users from a header; "brief" connections expire at once and are ended at refresh. */
    private void start() {
        Hooks hooks = Hooks.builder()
                .connect(req -> {
                    connectCalls.incrementAndGet();
                    String user = req.headers().getOrDefault("x-user", "");
                    if (user.isEmpty()) {
                        return Mono.just(ConnectResult.refuse("log in first"));
                    }
                    ConnectResult.Allow allow = ConnectResult.allow(user);
                    return Mono.just(
                            user.startsWith("brief")
                                    ? allow.expiringAt(Instant.now().plusMillis(300))
                                    : allow);
                })
                .refresh(req -> {
                    int n = refreshCalls.incrementAndGet();
                    return Mono.just(
                            n < 3 ? RefreshResult.extend(Instant.now().plusMillis(300)) : RefreshResult.expire());
                })
                .subscribe(req -> {
                    subscribeCalls.incrementAndGet();
                    return Mono.just(
                            req.channel().value().startsWith("room:")
                                    ? SubscribeDecision.allow()
                                    : SubscribeDecision.deny("rooms only"));
                })
                .forwardHeaders(List.of("X-User"))
                .build();
        ServerConfig config = ServerConfig.builder()
                .tokens(TokenVerifier.hmac(SECRET))
                .hooks(hooks)
                .channelRules(ChannelRules.parse(List.of("room:*=presence")))
                .build();
        fixture =
                new ServerFixture(config, new HubOptions(config.queueLimits()).withChannelRules(config.channelRules()));
    }

    private static String token(String subject, List<String> subs, List<String> channels) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(subject)
                .claim("subs", subs)
                .claim("pubs", List.of())
                .claim("channels", channels)
                .expirationTime(Date.from(Instant.now().plusSeconds(600)))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(SECRET));
        return jwt.serialize();
    }

    private WsTestClient as(String user) throws IOException {
        return WsTestClient.connect(fixture.port(), "/hub", "X-User: " + user + "\r\n");
    }

    @Test
    void aValidTokenSkipsTheConnectHookAndItsSubsSkipTheSubscribeHook() throws Exception {
        start();
        String jwt = token("ann", List.of("news:*"), List.of("inbox#ann"));
        try (WsTestClient ann = WsTestClient.connect(fixture.port(), "/hub?token=" + jwt)) {
            JsonNode pushed = readUntil(ann, f -> f.has("subscribed"));
            assertThat(pushed.path("channel").asText()).isEqualTo("inbox#ann");
            assertThat(reply(ann, 1, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"news:1\"}")
                            .path("ok")
                            .asBoolean())
                    .isTrue();
            assertThat(subscribeCalls).hasValue(0);
            // Not in the token: the hook decides.
            assertThat(reply(ann, 2, "{\"id\":2,\"op\":\"subscribe\",\"channel\":\"room:1\"}")
                            .path("ok")
                            .asBoolean())
                    .isTrue();
            JsonNode denied = reply(ann, 3, "{\"id\":3,\"op\":\"subscribe\",\"channel\":\"sport\"}");
            assertThat(denied.path("error").path("message").asText()).isEqualTo("rooms only");
            assertThat(subscribeCalls).hasValue(2);
        }
        assertThat(connectCalls).hasValue(0);
    }

    @Test
    void anInvalidTokenIsRefusedWith401AndNeverReachesTheHook() throws Exception {
        start();
        String response = WsTestClient.httpGet(fixture.port(), "/hub?token=not-a-jwt", true);
        assertThat(response).startsWith("HTTP/1.1 401");
        assertThat(connectCalls).hasValue(0);
    }

    @Test
    void withoutATokenTheJavaConnectHookDecides() throws Exception {
        start();
        try (WsTestClient nobody = WsTestClient.connect(fixture.port(), "/hub")) {
            assertThat(nobody.readCloseCode()).isEqualTo(CloseCodes.CONNECT_REFUSED);
        }
        try (WsTestClient bob = as("bob")) {
            assertThat(reply(bob, 1, "{\"id\":1,\"op\":\"ping\"}").path("ok").asBoolean())
                    .isTrue();
        }
        assertThat(connectCalls).hasValue(2);
    }

    @Test
    void theRefreshHookExtendsAConnectionThenEndsIt() throws Exception {
        start();
        try (WsTestClient brief = as("brief-1")) {
            assertThat(brief.readCloseCode()).isEqualTo(CloseCodes.TOKEN_EXPIRED);
        }
        assertThat(refreshCalls).hasValue(3);
    }

    @Test
    void aPersonalChannelIsOnlyForItsUser() throws Exception {
        start();
        try (WsTestClient alice = as("alice");
                WsTestClient bob = as("bob")) {
            JsonNode denied = reply(bob, 1, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:x#alice\"}");
            assertThat(denied.path("error").path("code").asInt()).isEqualTo(ErrorCode.PERMISSION_DENIED.code());
            JsonNode own = reply(alice, 1, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:x#alice\"}");
            assertThat(own.path("ok").asBoolean()).isTrue();
            assertThat(ChannelName.of("room:x#alice").owner()).isEqualTo("alice");
        }
    }

    @Test
    void presenceCountsConnectionsPerUser() throws Exception {
        start();
        try (WsTestClient a1 = as("alice");
                WsTestClient a2 = as("alice");
                WsTestClient b = as("bob")) {
            for (WsTestClient c : new WsTestClient[] {a1, a2, b}) {
                assertThat(reply(c, 1, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room:p\"}")
                                .path("ok")
                                .asBoolean())
                        .isTrue();
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode presence = reply(b, 9, "{\"id\":9,\"op\":\"presence\",\"channel\":\"room:p\"}");
                assertThat(presence.path("clients")).hasSize(3);
                assertThat(presence.path("users").path("alice").asInt()).isEqualTo(2);
                assertThat(presence.path("users").path("bob").asInt()).isEqualTo(1);
                assertThat(presence.path("userCount").asInt()).isEqualTo(2);
            });
        }
    }
}
