package io.reactivehub.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.IntNode;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HistoryResult;
import io.reactivehub.core.Message;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.PublishResult;
import io.reactivehub.core.StreamPosition;
import io.reactivehub.core.SubscribeResult;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hub protocol's JSON, written in one place for WebSocket and HTTP. */
class HubJsonTest {
    private static final ChannelName ROOM = ChannelName.of("room");

    private static Message message(long offset, String payload, PayloadType type) {
        return new Message(ROOM, offset, "e1", payload.getBytes(StandardCharsets.UTF_8), type);
    }

    @Test
    void historyDataIsWrittenAsInEveryPush() {
        HistoryResult history = new HistoryResult(
                new StreamPosition(3, "e1"),
                List.of(
                        message(1, "{\"a\":1}", PayloadType.JSON),
                        message(2, "say \"hi\"", PayloadType.TEXT),
                        message(3, "ab", PayloadType.BINARY)));

        assertThat(HubJson.text(HubJson.history(IntNode.valueOf(7), history, 1 << 20)))
                .isEqualTo("{\"id\":7,\"ok\":true,\"offset\":3,\"epoch\":\"e1\",\"messages\":["
                        + "{\"offset\":1,\"data\":{\"a\":1}},"
                        + "{\"offset\":2,\"data\":\"say \\\"hi\\\"\"},"
                        + "{\"offset\":3,\"data\":\"YWI=\",\"encoding\":\"base64\"}]}");
    }

    @Test
    void aHistoryReplyStopsAtItsByteBoundAndSaysSoButCarriesAtLeastOneMessage() {
        HistoryResult history = new HistoryResult(
                new StreamPosition(3, "e1"),
                List.of(
                        message(1, "\"aaaa\"", PayloadType.JSON),
                        message(2, "\"bbbb\"", PayloadType.JSON),
                        message(3, "\"cccc\"", PayloadType.JSON)));

        assertThat(HubJson.text(HubJson.history(IntNode.valueOf(7), history, 150)))
                .isEqualTo("{\"id\":7,\"ok\":true,\"offset\":3,\"epoch\":\"e1\",\"messages\":["
                        + "{\"offset\":1,\"data\":\"aaaa\"},"
                        + "{\"offset\":2,\"data\":\"bbbb\"}],\"truncated\":true}");
        assertThat(HubJson.text(HubJson.history(IntNode.valueOf(7), history, 1)))
                .contains("\"messages\":[{\"offset\":1,\"data\":\"aaaa\"}],\"truncated\":true");
    }

    @Test
    void theHttpApiGetsTheSameRepliesWithoutAnId() {
        PublishResult result = new PublishResult(2, 5, "e1");
        assertThat(HubJson.text(HubJson.published(null, result)))
                .isEqualTo("{\"ok\":true,\"offset\":5,\"epoch\":\"e1\",\"subscribers\":2}");
        assertThat(HubJson.text(HubJson.published(IntNode.valueOf(1), result)))
                .isEqualTo("{\"id\":1,\"ok\":true,\"offset\":5,\"epoch\":\"e1\",\"subscribers\":2}");
        assertThat(HubJson.text(HubJson.error(null, ErrorCode.NOT_ENABLED, "no history")))
                .isEqualTo("{\"error\":{\"code\":115,\"message\":\"no history\"}}");
    }

    @Test
    void aSubscribeReplySaysRecoveredOnlyWhenRecoveryWasAskedFor() {
        SubscribeResult result = new SubscribeResult(new StreamPosition(4, "e1"), true);
        assertThat(HubJson.text(HubJson.subscribed(IntNode.valueOf(1), result, false)))
                .isEqualTo("{\"id\":1,\"ok\":true,\"offset\":4,\"epoch\":\"e1\"}");
        assertThat(HubJson.text(HubJson.subscribed(IntNode.valueOf(1), result, true)))
                .isEqualTo("{\"id\":1,\"ok\":true,\"offset\":4,\"epoch\":\"e1\",\"recovered\":true}");
    }

    @Test
    void pushesNameTheChannel() {
        assertThat(HubJson.text(HubJson.presencePush(ROOM, new PresenceEvent(true, new ClientInfo("n-1", null)))))
                .isEqualTo("{\"channel\":\"room\",\"join\":{\"client\":\"n-1\",\"user\":null}}");
        assertThat(HubJson.text(HubJson.unsubscribedPush(ROOM)))
                .startsWith("{\"channel\":\"room\",\"unsubscribed\":{\"code\":4004,");
    }
}
