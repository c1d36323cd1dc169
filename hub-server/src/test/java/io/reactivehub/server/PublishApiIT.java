package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.server.config.ServerConfig;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** POST /api/publish: backends publish over plain HTTP with an API key. */
class PublishApiIT {
    private static final String KEY = "backend-key-123";
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    private ServerFixture fixture = new ServerFixture(ServerConfig.DEFAULT.withApiKey(KEY));

    @AfterEach
    void stop() {
        fixture.close();
    }

    private HttpResponse<String> post(String authorization, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + fixture.port() + "/api/publish"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String authorization, String path) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fixture.port() + path))
                .timeout(Duration.ofSeconds(30))
                .GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void historyAndPresenceReadsOnOneNodeAnswerOrSayWhyNot() throws Exception {
        fixture.close();
        fixture = new ServerFixture(
                ServerConfig.DEFAULT.withApiKey(KEY),
                new HubOptions(QueueLimits.DEFAULT)
                        .withChannelRules(ChannelRules.parse(List.of("log:*=history:3,presence"))));
        for (int i = 1; i <= 5; i++) {
            assertThat(post("apikey " + KEY, "{\"channel\":\"log:a\",\"data\":" + i + "}")
                            .statusCode())
                    .isEqualTo(200);
        }
        HttpResponse<String> history = get("apikey " + KEY, "/api/channels/log:a/history?limit=10");
        assertThat(history.statusCode()).isEqualTo(200);
        assertThat(history.body())
                .matches("\\{\"ok\":true,\"offset\":5,\"epoch\":\"[0-9a-z]+\",\"messages\":"
                        + "\\[\\{\"offset\":3,\"data\":3},\\{\"offset\":4,\"data\":4},\\{\"offset\":5,\"data\":5}]}");
        assertThat(get("apikey " + KEY, "/api/channels/log:a/history?since=4").body())
                .contains("\"messages\":[{\"offset\":5");
        try (WsTestClient raw = WsTestClient.connect(fixture.port(), "/ws/log:a")) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> get("apikey " + KEY, "/api/channels/log:a/presence")
                            .body()
                            .contains("\"client\""));
        }
        // Refusals, each with its code.
        assertThat(get(null, "/api/channels/log:a/history").statusCode()).isEqualTo(401);
        HttpResponse<String> badLimit = get("apikey " + KEY, "/api/channels/log:a/history?limit=-1");
        assertThat(badLimit.statusCode()).isEqualTo(400);
        assertThat(badLimit.body()).contains("\"code\":104");
        assertThat(get("apikey " + KEY, "/api/channels/bad%20name/presence").statusCode())
                .isEqualTo(400);
        HttpResponse<String> off = get("apikey " + KEY, "/api/channels/other/history");
        assertThat(off.statusCode()).isEqualTo(404);
        assertThat(off.body()).contains("\"code\":115");
    }

    @Test
    void aPublishWithTheKeyReachesWebSocketSubscribersAndReportsTheOffset() throws Exception {
        try (WsTestClient raw = WsTestClient.connect(fixture.port(), "/ws/news")) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> fixture.hub.subscriberCount(ChannelName.of("news")) == 1);
            HttpResponse<String> response =
                    post("apikey " + KEY, "{\"channel\":\"news\",\"data\":{\"headline\":\"hi\"}}");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body())
                    .matches("\\{\"ok\":true,\"offset\":1,\"epoch\":\"[0-9a-z]+\",\"subscribers\":1\\}");
            assertThat(raw.readText()).isEqualTo("{\"headline\":\"hi\"}");
        }
    }

    @Test
    void aMissingOrWrongKeyIs401() throws Exception {
        assertThat(post(null, "{\"channel\":\"news\",\"data\":1}").statusCode()).isEqualTo(401);
        HttpResponse<String> wrong = post("apikey nope", "{\"channel\":\"news\",\"data\":1}");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("\"code\":112");
    }

    @Test
    void badBodiesAre400WithAnErrorCode() throws Exception {
        assertThat(post("apikey " + KEY, "{not json").body()).contains("\"code\":101");
        assertThat(post("apikey " + KEY, "{\"channel\":\"bad name\",\"data\":1}")
                        .body())
                .contains("\"code\":105");
        HttpResponse<String> noData = post("apikey " + KEY, "{\"channel\":\"news\"}");
        assertThat(noData.statusCode()).isEqualTo(400);
        assertThat(noData.body()).contains("\"code\":103");
    }

    @Test
    void withoutAnApiKeyConfiguredTheEndpointIsOff() throws Exception {
        fixture.close();
        fixture = new ServerFixture();
        assertThat(post("apikey " + KEY, "{\"channel\":\"news\",\"data\":1}").statusCode())
                .isEqualTo(404);
    }

    @Test
    void bodiesAndDataOverTheMaxMessageSizeAre413AndNothingIsPublished() throws Exception {
        fixture.close();
        ServerConfig config = ServerConfig.DEFAULT.withApiKey(KEY).withMaxMessageSize(1024);
        fixture = new ServerFixture(
                config,
                new HubOptions(config.queueLimits()).withChannelRules(ChannelRules.parse(List.of("news=history:10"))));
        String big = "x".repeat(2 * 1024 * 1024);

        HttpResponse<String> declared = post("apikey " + KEY, "{\"channel\":\"news\",\"data\":\"" + big + "\"}");
        assertThat(declared.statusCode()).isEqualTo(413);
        assertThat(declared.body()).contains("\"code\":116");

        HttpResponse<String> chunked = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fixture.port() + "/api/publish"))
                        .timeout(Duration.ofSeconds(30))
                        .header("Authorization", "apikey " + KEY)
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(
                                ("{\"channel\":\"news\",\"data\":\"" + big + "\"}").getBytes(StandardCharsets.UTF_8))))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode())
                .as("no Content-Length: counted while read")
                .isEqualTo(413);

        HttpResponse<String> overData =
                post("apikey " + KEY, "{\"channel\":\"news\",\"data\":\"" + "y".repeat(1100) + "\"}");
        assertThat(overData.statusCode()).isEqualTo(413);
        assertThat(overData.body()).contains("\"code\":116");

        HttpResponse<String> fits =
                post("apikey " + KEY, "{\"channel\":\"news\",\"data\":\"" + "z".repeat(1000) + "\"}");
        assertThat(fits.statusCode()).isEqualTo(200);
        assertThat(fits.body()).as("the refused ones were not published").contains("\"offset\":1,");
    }

    @Test
    void tenWrongKeysAMinuteFromOneAddressLockItOutWith429() throws Exception {
        for (int i = 0; i < 10; i++) {
            assertThat(post("apikey wrong-" + i, "{\"channel\":\"news\",\"data\":1}")
                            .statusCode())
                    .isEqualTo(401);
        }
        HttpResponse<String> locked = post("apikey " + KEY, "{\"channel\":\"news\",\"data\":1}");
        assertThat(locked.statusCode()).isEqualTo(429);
        assertThat(locked.body()).contains("\"code\":117");
        assertThat(get("apikey " + KEY, "/api/channels/news/presence").statusCode())
                .isEqualTo(429);
    }

    @Test
    void aKnownPathAskedWithAnotherMethodIs405WithAllow() throws Exception {
        HttpResponse<String> getPublish = get("apikey " + KEY, "/api/publish");
        assertThat(getPublish.statusCode()).isEqualTo(405);
        assertThat(getPublish.headers().firstValue("Allow")).contains("POST");
        for (String path : new String[] {"/health", "/metrics", "/api/channels/news/history"}) {
            HttpResponse<String> post = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fixture.port() + path))
                            .timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.ofString("x"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).as(path).isEqualTo(405);
            assertThat(post.headers().firstValue("Allow")).as(path).contains("GET");
        }
        assertThat(get(null, "/nothing-here").statusCode()).isEqualTo(404);
    }
}
