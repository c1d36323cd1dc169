package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.server.auth.TokenVerifier;
import io.reactivehub.server.config.ConnectionLimits;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.protocol.HubJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JWT at the upgrade, channel permissions from claims, expiry and refresh. */
class AuthIT {
    private static final String SECRET = "0123456789abcdef0123456789abcdef-test-secret";
    private ServerFixture fixture;

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private void start(TokenVerifier tokens) {
        fixture = new ServerFixture(ServerConfig.DEFAULT.withTokens(tokens));
    }

    static String token(
            JWSSigner signer,
            JWSAlgorithm alg,
            String subject,
            Instant exp,
            Instant nbf,
            List<String> subs,
            List<String> pubs)
            throws Exception {
        JWTClaimsSet.Builder claims =
                new JWTClaimsSet.Builder().subject(subject).claim("subs", subs).claim("pubs", pubs);
        if (exp != null) {
            claims.expirationTime(Date.from(exp));
        }
        if (nbf != null) {
            claims.notBeforeTime(Date.from(nbf));
        }
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(alg).type(JOSEObjectType.JWT).build(), claims.build());
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static String hs(String subject, Instant exp, List<String> subs, List<String> pubs) throws Exception {
        return token(new MACSigner(SECRET), JWSAlgorithm.HS256, subject, exp, null, subs, pubs);
    }

    private static Instant in(long seconds) {
        return Instant.now().plusSeconds(seconds);
    }

    private WsTestClient connect(String path, String token) throws Exception {
        return WsTestClient.connect(fixture.port(), path, "Authorization: Bearer " + token + "\r\n");
    }

    @Nested
    class Upgrade {
        @Test
        void withoutATokenTheUpgradeIsRefusedWith401() throws Exception {
            start(TokenVerifier.hmac(SECRET));
            String response = WsTestClient.httpGet(fixture.port(), "/ws/room", true);
            assertThat(response).startsWith("HTTP/1.1 401").contains("missing token");
            assertThat(fixture.server.connections()).isZero();
            assertThat(WsTestClient.httpGet(fixture.port(), "/metrics", false)).contains("hub_auth_failures_total 1.0");
        }

        @Test
        void aValidTokenInTheHeaderOrTheQueryIsAccepted() throws Exception {
            start(TokenVerifier.hmac(SECRET));
            String token = hs("ann", in(60), List.of("*"), List.of("*"));
            try (WsTestClient header = connect("/ws/room", token);
                    WsTestClient query = WsTestClient.connect(fixture.port(), "/ws/room?token=" + token)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> fixture.server.connections() == 2);
            }
        }

        @Test
        void badSignaturesExpiredAndNotYetValidTokensAreRefused() throws Exception {
            start(TokenVerifier.hmac(SECRET));
            String wrongKey = token(
                    new MACSigner("another-secret-another-secret-0123456789"),
                    JWSAlgorithm.HS256,
                    "ann",
                    in(60),
                    null,
                    List.of("*"),
                    List.of("*"));
            String expired = hs("ann", in(-10), List.of("*"), List.of("*"));
            String early = token(
                    new MACSigner(SECRET), JWSAlgorithm.HS256, "ann", in(600), in(300), List.of("*"), List.of("*"));
            String noExpiry = hs("ann", null, List.of("*"), List.of("*"));
            String unsigned = new PlainJWT(new JWTClaimsSet.Builder()
                            .subject("ann")
                            .expirationTime(Date.from(in(60)))
                            .build())
                    .serialize();
            for (String[] bad : new String[][] {
                {wrongKey, "bad signature"},
                {expired, "expired"},
                {early, "nbf"},
                {noExpiry, "no expiry"},
                {unsigned, "malformed"},
                {"garbage", "malformed"}
            }) {
                assertThatThrownBy(() -> connect("/ws/room", bad[0])).as(bad[1]).hasMessageContaining("401");
            }
            assertThat(fixture.server.connections()).isZero();
        }

        @Test
        void withAnIssuerAndAudienceConfiguredTokensMustCarryThem() throws Exception {
            start(TokenVerifier.hmac(SECRET).withIssuer("https://auth.example").withAudience("hub"));
            MACSigner signer = new MACSigner(SECRET);
            java.util.function.BiFunction<String, Object, String> signed = (iss, aud) -> {
                JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                        .subject("ann")
                        .expirationTime(Date.from(in(60)))
                        .claim("subs", List.of("*"));
                if (iss != null) {
                    claims.issuer(iss);
                }
                if (aud != null) {
                    claims.claim("aud", aud);
                }
                try {
                    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
                    jwt.sign(signer);
                    return jwt.serialize();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            for (String[] bad : new String[][] {
                {signed.apply(null, "hub"), "token has no issuer (iss)"},
                {signed.apply("https://evil.example", "hub"), "token issuer (iss) is not 'https://auth.example'"},
                {signed.apply("https://auth.example", null), "token has no audience (aud)"},
                {signed.apply("https://auth.example", "other"), "token audience (aud) does not include 'hub'"}
            }) {
                String response = WsTestClient.httpGet(fixture.port(), "/ws/room?token=" + bad[0], true);
                assertThat(response).as(bad[1]).startsWith("HTTP/1.1 401").contains(bad[1]);
            }
            try (WsTestClient one = connect("/ws/room", signed.apply("https://auth.example", "hub"));
                    WsTestClient listed =
                            connect("/ws/room", signed.apply("https://auth.example", List.of("other", "hub")))) {
                await().atMost(Duration.ofSeconds(30)).until(() -> fixture.server.connections() == 2);
            }
        }

        @Test
        void theAlgorithmIsPinnedToTheKeyType(@TempDir Path dir) throws Exception {
            KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
            rsa.initialize(2048);
            KeyPair keys = rsa.generateKeyPair();
            Path pem = dir.resolve("public.pem");
            Files.writeString(
                    pem,
                    "-----BEGIN PUBLIC KEY-----\n"
                            + Base64.getMimeEncoder()
                                    .encodeToString(keys.getPublic().getEncoded())
                            + "\n-----END PUBLIC KEY-----\n",
                    StandardCharsets.US_ASCII);
            start(TokenVerifier.publicKey(pem));
            String rs256 = token(
                    new RSASSASigner(keys.getPrivate()),
                    JWSAlgorithm.RS256,
                    "ann",
                    in(60),
                    null,
                    List.of("*"),
                    List.of("*"));
            try (WsTestClient ok = connect("/ws/room", rs256)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> fixture.server.connections() == 1);
            }
            // HS256 "signed" with the public key's bytes: the classic confusion attack.
            byte[] publicBytes = Files.readAllBytes(pem);
            String confused = token(
                    new MACSigner(publicBytes), JWSAlgorithm.HS256, "ann", in(60), null, List.of("*"), List.of("*"));
            assertThatThrownBy(() -> connect("/ws/room", confused)).hasMessageContaining("401");
        }

        @Test
        void es256WorksWithAnEcKey(@TempDir Path dir) throws Exception {
            KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
            ec.initialize(256);
            KeyPair keys = ec.generateKeyPair();
            Path pem = dir.resolve("ec.pem");
            Files.writeString(
                    pem,
                    "-----BEGIN PUBLIC KEY-----\n"
                            + Base64.getMimeEncoder()
                                    .encodeToString(keys.getPublic().getEncoded())
                            + "\n-----END PUBLIC KEY-----\n",
                    StandardCharsets.US_ASCII);
            start(TokenVerifier.publicKey(pem));
            String es256 = token(
                    new ECDSASigner((ECPrivateKey) keys.getPrivate()),
                    JWSAlgorithm.ES256,
                    "ann",
                    in(60),
                    null,
                    List.of("*"),
                    List.of("*"));
            try (WsTestClient ok = connect("/ws/room", es256)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> fixture.server.connections() == 1);
            }
        }
    }

    @Nested
    class Permissions {
        @Test
        void hubProtocolSubscribeAndPublishFollowTheClaims() throws Exception {
            start(TokenVerifier.hmac(SECRET));
            try (WsTestClient c = connect("/hub", hs("ann", in(60), List.of("chat.*"), List.of("chat.public")))) {
                c.sendText("{\"id\":1,\"op\":\"subscribe\",\"channel\":\"chat.room\"}");
                assertThat(c.readText()).matches("\\{\"id\":1,\"ok\":true,\"offset\":0,\"epoch\":\"[0-9a-z]+\"\\}");
                c.sendText("{\"id\":2,\"op\":\"subscribe\",\"channel\":\"admin\"}");
                assertThat(c.readText()).contains("\"code\":" + ErrorCode.PERMISSION_DENIED.code());
                c.sendText("{\"id\":3,\"op\":\"publish\",\"channel\":\"chat.room\",\"data\":1}");
                assertThat(c.readText())
                        .contains("\"id\":3")
                        .contains("\"code\":" + ErrorCode.PERMISSION_DENIED.code());
                c.sendText("{\"id\":4,\"op\":\"publish\",\"channel\":\"chat.public\",\"data\":1}");
                assertThat(c.readText()).contains("\"id\":4").contains("\"ok\":true");
            }
        }

        @Test
        void aRawConnectionToAChannelItMayNotReadIsClosedWith1008() throws Exception {
            start(TokenVerifier.hmac(SECRET));
            try (WsTestClient c = connect("/ws/admin", hs("ann", in(60), List.of("chat.*"), List.of("chat.*")))) {
                assertThat(c.readCloseCode()).isEqualTo(CloseCodes.POLICY_VIOLATION);
            }
        }

        @Test
        void aRawPublishToAChannelItMayNotWriteIsClosedWith1008() throws Exception {
            start(TokenVerifier.hmac(SECRET));
            try (WsTestClient c = connect("/ws/news", hs("ann", in(60), List.of("news"), List.of()))) {
                c.sendText("not allowed");
                assertThat(c.readCloseCode()).isEqualTo(CloseCodes.POLICY_VIOLATION);
            }
        }
    }

    @Nested
    class Expiry {
        @Test
        void aTokenThatExpiresWhileConnectedClosesWith4003() throws Exception {
            start(TokenVerifier.hmac(SECRET));
            try (WsTestClient c = connect("/hub", hs("ann", in(2), List.of("*"), List.of("*")))) {
                assertThat(c.readCloseCode()).isEqualTo(CloseCodes.TOKEN_EXPIRED);
            }
        }

        @Test
        void aRefreshBeforeExpiryKeepsTheConnection() throws Exception {
            // The test pings back to back for seconds: far past the default command budget.
            fixture = new ServerFixture(ServerConfig.DEFAULT
                    .withTokens(TokenVerifier.hmac(SECRET))
                    .withLimits(ConnectionLimits.DEFAULT.withCommandRate(100_000, 100_000)));
            Instant firstExpiry = in(2);
            try (WsTestClient c = connect("/hub", hs("ann", firstExpiry, List.of("*"), List.of("*")))) {
                c.sendText("{\"id\":1,\"op\":\"refresh\",\"token\":\"" + hs("ann", in(120), List.of("*"), List.of("*"))
                        + "\"}");
                assertThat(c.readText()).startsWith("{\"id\":1,\"ok\":true,\"expires\":");
                // Keep talking until well past the first token's expiry: no close arrives.
                int n = 2;
                while (Instant.now().isBefore(firstExpiry.plusSeconds(2))) {
                    c.sendText("{\"id\":" + n + ",\"op\":\"ping\"}");
                    assertThat(c.readText()).isEqualTo("{\"id\":" + n + ",\"ok\":true}");
                    n++;
                }
            }
        }

        @Test
        void aRefreshWithANarrowerTokenEndsTheSubscriptionsItNoLongerAllowsWith4005() throws Exception {
            fixture = new ServerFixture(
                    ServerConfig.DEFAULT.withTokens(TokenVerifier.hmac(SECRET)),
                    new HubOptions(QueueLimits.DEFAULT).withChannelRules(ChannelRules.parse(List.of("*=presence"))));
            ChannelName secret = ChannelName.of("chat.secret");
            try (WsTestClient c = connect("/hub", hs("ann", in(60), List.of("chat.*", "news"), List.of("*")))) {
                c.sendText("{\"id\":1,\"op\":\"subscribe\",\"channel\":\"chat.secret\"}");
                assertThat(c.readText()).startsWith("{\"id\":1,\"ok\":true");
                c.sendText("{\"id\":2,\"op\":\"subscribe\",\"channel\":\"news\"}");
                assertThat(c.readText()).startsWith("{\"id\":2,\"ok\":true");
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> fixture.hub.presence(secret).block().size() == 1);

                c.sendText("{\"id\":3,\"op\":\"refresh\",\"token\":\""
                        + hs("ann", in(120), List.of("news"), List.of("*")) + "\"}");
                // The push for the withdrawn channel comes before the refresh's reply.
                assertThat(c.readText())
                        .isEqualTo(
                                "{\"channel\":\"chat.secret\",\"unsubscribed\":{\"code\":"
                                        + HubJson.PERMISSION_WITHDRAWN
                                        + ",\"reason\":\"permission withdrawn: the refreshed token does not allow this channel\"}}");
                assertThat(c.readText()).startsWith("{\"id\":3,\"ok\":true,\"expires\":");
                assertThat(fixture.hub.subscriberCount(secret)).isZero();
                assertThat(fixture.hub.presence(secret).block()).isEmpty();

                // Nothing of the channel arrives any more; the allowed one goes on.
                c.sendText("{\"id\":4,\"op\":\"publish\",\"channel\":\"chat.secret\",\"data\":1}");
                assertThat(c.readText()).startsWith("{\"id\":4,\"ok\":true").contains("\"subscribers\":0");
                c.sendText("{\"id\":5,\"op\":\"unsubscribe\",\"channel\":\"chat.secret\"}");
                assertThat(c.readText()).contains("\"code\":" + ErrorCode.NOT_SUBSCRIBED.code());
                c.sendText("{\"id\":6,\"op\":\"subscribe\",\"channel\":\"chat.secret\"}");
                assertThat(c.readText()).contains("\"code\":" + ErrorCode.PERMISSION_DENIED.code());
                c.sendText("{\"id\":7,\"op\":\"publish\",\"channel\":\"news\",\"data\":2}");
                assertThat(List.of(c.readText(), c.readText()))
                        .anyMatch(frame -> frame.startsWith("{\"channel\":\"news\",\"offset\":1,\"data\":2"))
                        .anyMatch(frame -> frame.startsWith("{\"id\":7,\"ok\":true"));
            }
        }

        @Test
        void aRefreshWithABadTokenOrAnotherSubjectIsRefused() throws Exception {
            start(TokenVerifier.hmac(SECRET));
            try (WsTestClient c = connect("/hub", hs("ann", in(60), List.of("*"), List.of("*")))) {
                c.sendText("{\"id\":1,\"op\":\"refresh\",\"token\":\"" + hs("bob", in(120), List.of("*"), List.of("*"))
                        + "\"}");
                assertThat(c.readText())
                        .contains("\"code\":" + ErrorCode.INVALID_TOKEN.code())
                        .contains("another subject");
                c.sendText("{\"id\":2,\"op\":\"refresh\",\"token\":\"nonsense\"}");
                assertThat(c.readText()).contains("\"code\":" + ErrorCode.INVALID_TOKEN.code());
            }
        }
    }
}
