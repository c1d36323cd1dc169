package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ErrorCode;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The JSON hub protocol on /hub over real loopback sockets. */
class HubProtocolIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ServerFixture fixture = new ServerFixture();

    @AfterEach
    void stop() {
        fixture.close();
    }

    private WsTestClient connect() throws IOException {
        return WsTestClient.connect(fixture.port(), "/hub");
    }

    private static JsonNode read(WsTestClient client) throws IOException {
        return JSON.readTree(client.readText());
    }

    private static JsonNode command(WsTestClient client, String json) throws IOException {
        client.sendText(json);
        return read(client);
    }

    @Nested
    class Commands {
        @Test
        void subscribeThenPublishDeliversAPushWithChannelOffsetAndData() throws Exception {
            try (WsTestClient sub = connect();
                    WsTestClient pub = connect()) {
                JsonNode ok = command(sub, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room\"}");
                assertThat(ok.toString()).matches("\\{\"id\":1,\"ok\":true,\"offset\":0,\"epoch\":\"[0-9a-z]+\"\\}");
                JsonNode published = command(
                        pub,
                        "{\"id\":\"p1\",\"op\":\"publish\",\"channel\":\"room\",\"data\":{\"text\":\"hi\",\"n\":[1,2]}}");
                assertThat(published.get("id").asText()).isEqualTo("p1");
                assertThat(published.get("ok").asBoolean()).isTrue();
                assertThat(published.get("offset").asLong()).isEqualTo(1);
                assertThat(published.get("subscribers").asInt()).isEqualTo(1);
                assertThat(sub.readText())
                        .isEqualTo("{\"channel\":\"room\",\"offset\":1,\"data\":{\"text\":\"hi\",\"n\":[1,2]}}");
            }
        }

        @Test
        void oneConnectionSubscribesToManyChannels() throws Exception {
            try (WsTestClient c = connect()) {
                for (String ch : new String[] {"a", "b", "c"}) {
                    assertThat(command(c, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"" + ch + "\"}")
                                    .get("ok")
                                    .asBoolean())
                            .isTrue();
                }
                c.sendText("{\"id\":2,\"op\":\"publish\",\"channel\":\"b\",\"data\":\"to b\"}");
                // Our own push and the publish reply, in either order.
                JsonNode first = read(c);
                JsonNode second = read(c);
                JsonNode push = first.has("channel") ? first : second;
                assertThat(push.get("channel").asText()).isEqualTo("b");
                assertThat(push.get("data").asText()).isEqualTo("to b");
            }
        }

        @Test
        void unsubscribeStopsDeliveryAndEvictsTheChannel() throws Exception {
            try (WsTestClient c = connect()) {
                command(c, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room\"}");
                assertThat(fixture.hub.channelCount()).isEqualTo(1);
                assertThat(command(c, "{\"id\":2,\"op\":\"unsubscribe\",\"channel\":\"room\"}")
                                .toString())
                        .isEqualTo("{\"id\":2,\"ok\":true}");
                assertThat(fixture.hub.channelCount()).isZero();
                JsonNode reply = command(c, "{\"id\":3,\"op\":\"publish\",\"channel\":\"room\",\"data\":1}");
                assertThat(reply.get("subscribers").asInt()).isZero();
            }
        }

        @Test
        void pingIsAnswered() throws Exception {
            try (WsTestClient c = connect()) {
                assertThat(command(c, "{\"id\":9,\"op\":\"ping\"}").toString()).isEqualTo("{\"id\":9,\"ok\":true}");
            }
        }

        @Test
        void rawPublishersReachHubSubscribersAsJsonStrings() throws Exception {
            try (WsTestClient hubClient = connect()) {
                command(hubClient, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"mixed\"}");
                try (WsTestClient raw = WsTestClient.connect(fixture.port(), "/ws/mixed")) {
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> fixture.hub.subscriberCount(ChannelName.of("mixed")) == 2);
                    raw.sendText("plain \"text\"");
                    JsonNode push = read(hubClient);
                    assertThat(push.get("data").asText()).isEqualTo("plain \"text\"");
                    raw.sendBinary(new byte[] {1, 2, 3});
                    push = read(hubClient);
                    assertThat(push.get("data").asText()).isEqualTo("AQID");
                    assertThat(push.get("encoding").asText()).isEqualTo("base64");
                }
            }
        }

        @Test
        void closingTheConnectionLeavesEveryChannel() throws Exception {
            WsTestClient c = connect();
            command(c, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"a\"}");
            command(c, "{\"id\":2,\"op\":\"subscribe\",\"channel\":\"b\"}");
            assertThat(fixture.hub.channelCount()).isEqualTo(2);
            c.abort();
            await().atMost(Duration.ofSeconds(30)).until(() -> fixture.hub.channelCount() == 0);
        }
    }

    @Nested
    class Errors {
        @ParameterizedTest(name = "{0} -> {1}")
        @CsvSource(
                delimiter = '|',
                value = {
                    "{not json                                            | MALFORMED",
                    "[1,2]                                                | MALFORMED",
                    "42                                                   | MALFORMED",
                    "{\"id\":1,\"op\":\"fly\"}                            | UNKNOWN_OP",
                    "{\"id\":1}                                           | MISSING_FIELD",
                    "{\"id\":1,\"op\":7}                                  | INVALID_FIELD",
                    "{\"id\":1,\"op\":\"subscribe\"}                      | MISSING_FIELD",
                    "{\"id\":1,\"op\":\"publish\",\"channel\":\"a\"}      | MISSING_FIELD",
                    "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"a b\"}  | INVALID_CHANNEL",
                    "{\"id\":1,\"op\":\"subscribe\",\"channel\":5}        | INVALID_CHANNEL",
                    "{\"id\":1,\"op\":\"unsubscribe\",\"channel\":\"z\"}  | NOT_SUBSCRIBED",
                    "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"a\",\"recover\":5}                          | INVALID_FIELD",
                    "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"a\",\"recover\":{\"offset\":-1,\"epoch\":\"e\"}} | INVALID_FIELD",
                    "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"a\",\"recover\":{\"offset\":1}}             | INVALID_FIELD",
                    "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"a\",\"joinLeave\":\"yes\"}                   | INVALID_FIELD",
                    "{\"id\":1,\"op\":\"history\",\"channel\":\"a\"}    | NOT_ENABLED",
                    "{\"id\":1,\"op\":\"history\",\"channel\":\"a\",\"limit\":-1} | INVALID_FIELD",
                    "{\"id\":1,\"op\":\"presence\",\"channel\":\"a\"}   | NOT_ENABLED",
                })
        void aBadCommandGetsAnErrorWithItsCodeAndTheConnectionStaysUsable(String command, ErrorCode expected)
                throws Exception {
            try (WsTestClient c = connect()) {
                JsonNode reply = HubProtocolIT.command(c, command);
                assertThat(reply.path("error").path("code").asInt())
                        .as(reply.toString())
                        .isEqualTo(expected.code());
                assertThat(reply.path("error").path("message").asText()).isNotBlank();
                assertThat(HubProtocolIT.command(c, "{\"id\":2,\"op\":\"ping\"}")
                                .path("ok")
                                .asBoolean())
                        .isTrue();
            }
        }

        @Test
        void theErrorEchoesTheCommandId() throws Exception {
            try (WsTestClient c = connect()) {
                JsonNode reply = command(c, "{\"id\":\"abc\",\"op\":\"nope\"}");
                assertThat(reply.get("id").asText()).isEqualTo("abc");
            }
        }

        @Test
        void subscribingTwiceIsAnError() throws Exception {
            try (WsTestClient c = connect()) {
                command(c, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"a\"}");
                JsonNode reply = command(c, "{\"id\":2,\"op\":\"subscribe\",\"channel\":\"a\"}");
                assertThat(reply.path("error").path("code").asInt()).isEqualTo(ErrorCode.ALREADY_SUBSCRIBED.code());
            }
        }

        @Test
        void aBinaryFrameIsMalformed() throws Exception {
            try (WsTestClient c = connect()) {
                c.sendBinary(new byte[] {'{', '}'});
                assertThat(read(c).path("error").path("code").asInt()).isEqualTo(ErrorCode.MALFORMED.code());
            }
        }
    }
}
