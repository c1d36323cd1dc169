package io.reactivehub.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufInputStream;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.HistoryResult;
import io.reactivehub.core.Message;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.StreamPosition;
import io.reactivehub.core.SubscribeResult;
import java.util.List;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.PublishResult;
import io.reactivehub.core.codec.HubPushCodec;
import io.reactivehub.core.codec.WireBuffers;
import io.reactivehub.server.auth.Principal;
import io.reactivehub.server.auth.TokenVerifier;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub protocol (version 1): JSON commands in text frames, {@code {"id":1,"op":"subscribe",
 * "channel":"room"}}, each answered by {@code {"id":1,"ok":true,...}} or
 * {@code {"id":1,"error":{"code":105,"message":"..."}}}; messages pushed as
 * {@code {"channel":"room","offset":7,"data":...}}. A bad command gets an error reply and the
 * connection stays open.
 */
final class HubProtocolSession extends Session {
    private static final Logger log = LoggerFactory.getLogger(HubProtocolSession.class);
    static final ObjectMapper JSON = new ObjectMapper();

    HubProtocolSession(SessionContext context, String ip, @org.jspecify.annotations.Nullable Principal principal) {
        super(context, ip, principal, HubPushCodec.INSTANCE, context.hubDeflate());
    }

    @Override
    protected void onFrame(WebSocketFrame frame) {
        if (frame instanceof PongWebSocketFrame) {
            return;
        }
        if (!(frame instanceof TextWebSocketFrame)) {
            reject(NullNode.getInstance(), ErrorCode.MALFORMED, "the hub protocol takes JSON in text frames");
            return;
        }
        JsonNode command;
        try (ByteBufInputStream in = new ByteBufInputStream(frame.content())) {
            command = JSON.readTree((java.io.InputStream) in);
        } catch (JsonProcessingException e) {
            reject(NullNode.getInstance(), ErrorCode.MALFORMED, "malformed JSON: " + e.getOriginalMessage());
            return;
        } catch (IOException e) {
            reject(NullNode.getInstance(), ErrorCode.MALFORMED, "unreadable frame");
            return;
        }
        if (command == null || !command.isObject()) {
            reject(NullNode.getInstance(), ErrorCode.MALFORMED, "a command is a JSON object");
            return;
        }
        JsonNode id = command.path("id");
        if (id.isMissingNode()) {
            id = NullNode.getInstance();
        }
        try {
            dispatch(id, command);
        } catch (HubException e) {
            reject(id, e.errorCode(), e.getMessage());
        }
    }

    private void dispatch(JsonNode id, JsonNode command) {
        JsonNode op = command.get("op");
        if (op == null) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field 'op'");
        }
        if (!op.isTextual()) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'op' must be a string");
        }
        switch (op.asText()) {
            case "subscribe" -> {
                ChannelName channel = channel(command);
                if (isSubscribed(channel)) {
                    throw new HubException(ErrorCode.ALREADY_SUBSCRIBED, "already subscribed to " + channel);
                }
                if (!maySubscribe(channel)) {
                    throw new HubException(ErrorCode.PERMISSION_DENIED, "not allowed to subscribe to " + channel);
                }
                if (subscriptionCount() >= maxSubscriptions()) {
                    throw new HubException(ErrorCode.LIMIT_EXCEEDED,
                            "at most " + maxSubscriptions() + " subscriptions per connection");
                }
                StreamPosition recover = recoverField(command);
                boolean joinLeave = booleanField(command, "joinLeave");
                // The reply is sent by the listener's onSubscribed: once the broker delivers the
                // channel here, before any recovered or live push; whatever is published after the
                // client reads it reaches the client.
                subscribe(channel, new Pushes(id, channel, recover != null, joinLeave), recover)
                        .subscribe(null, e -> failed(id, "subscribe to " + channel, e));
            }
            case "history" -> history(id, command);
            case "presence" -> presence(id, command);
            case "unsubscribe" -> {
                ChannelName channel = channel(command);
                if (!unsubscribe(channel)) {
                    throw new HubException(ErrorCode.NOT_SUBSCRIBED, "not subscribed to " + channel);
                }
                reply(ok(id));
            }
            case "publish" -> publish(id, command);
            case "ping" -> reply(ok(id));
            case "refresh" -> refresh(id, command);
            default -> throw new HubException(ErrorCode.UNKNOWN_OP, "unknown op '" + op.asText() + "'");
        }
    }

    private void publish(JsonNode id, JsonNode command) {
        ChannelName channel = channel(command);
        JsonNode data = command.get("data");
        if (data == null) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field 'data'");
        }
        if (!mayPublishTo(channel)) {
            throw new HubException(ErrorCode.PERMISSION_DENIED, "not allowed to publish to " + channel);
        }
        if (!mayPublish()) {
            throw new HubException(ErrorCode.RATE_LIMITED, "publish rate limit exceeded ("
                    + config.limits().publishRate() + " msg/s)");
        }
        byte[] payload = payload(data);
        long start = System.nanoTime();
        hub.publish(channel, payload, PayloadType.JSON).subscribe(
                result -> {
                    metrics.published(payload.length, result.subscribers(), start);
                    reply(published(id, result));
                },
                e -> failed(id, "publish to " + channel, e));
    }

    /** Answers a failed asynchronous operation with its error code (100 for the unexpected, logged). */
    private void failed(JsonNode id, String what, Throwable e) {
        ErrorCode code = e instanceof HubException he ? he.errorCode() : ErrorCode.INTERNAL;
        if (code == ErrorCode.INTERNAL) {
            log.error("session {}: {} failed", this.id, what, e);
        } else if (code == ErrorCode.UNAVAILABLE) {
            metrics.brokerUnavailable();
        }
        reject(id, code, e.getMessage());
    }

    /** {@code {"op":"history","channel":"c","limit":10,"since":5}}: the channel's kept messages. */
    private void history(JsonNode id, JsonNode command) {
        ChannelName channel = channel(command);
        if (!maySubscribe(channel)) {
            throw new HubException(ErrorCode.PERMISSION_DENIED, "not allowed to read " + channel);
        }
        int limit = (int) Math.min(Integer.MAX_VALUE, longField(command, "limit", 100));
        JsonNode since = command.get("since");
        Long sinceOffset = since == null || since.isNull() ? null : longField(command, "since", 0);
        hub.history(channel, sinceOffset, limit).subscribe(
                history -> {
                    ObjectNode reply = ok(id);
                    historyInto(reply, history);
                    reply(reply);
                },
                e -> failed(id, "history of " + channel, e));
    }

    /** The fields of a history answer, shared with the HTTP API: offset, epoch, messages. */
    static void historyInto(ObjectNode reply, HistoryResult history) {
        reply.put("offset", history.top().offset());
        reply.put("epoch", history.top().epoch());
        ArrayNode messages = reply.putArray("messages");
        for (Message m : history.messages()) {
            ObjectNode item = messages.addObject();
            item.put("offset", m.offset());
            dataInto(item, m);
        }
    }

    /** A message's payload as a JSON {@code data} field: embedded JSON, a string, or base64 with {@code encoding}. */
    static void dataInto(ObjectNode target, Message m) {
        switch (m.type()) {
            case JSON -> {
                try {
                    target.set("data", JSON.readTree(m.payload()));
                } catch (IOException e) {
                    target.put("data", m.text());
                }
            }
            case TEXT -> target.put("data", m.text());
            case BINARY -> {
                target.put("data", java.util.Base64.getEncoder().encodeToString(m.payload()));
                target.put("encoding", "base64");
            }
        }
    }

    /** {@code {"op":"presence","channel":"c"}}: who is subscribed, on every node. */
    private void presence(JsonNode id, JsonNode command) {
        ChannelName channel = channel(command);
        if (!maySubscribe(channel)) {
            throw new HubException(ErrorCode.PERMISSION_DENIED, "not allowed to read " + channel);
        }
        hub.presence(channel).subscribe(
                clients -> {
                    ObjectNode reply = ok(id);
                    clientsInto(reply, clients);
                    reply(reply);
                },
                e -> failed(id, "presence of " + channel, e));
    }

    /** {@code "clients":[{"client":"...","user":"..."}]}, shared with the HTTP API. */
    static void clientsInto(ObjectNode reply, List<ClientInfo> clients) {
        ArrayNode list = reply.putArray("clients");
        for (ClientInfo c : clients) {
            list.add(client(c));
        }
    }

    private static ObjectNode client(ClientInfo c) {
        ObjectNode item = JSON.createObjectNode();
        item.put("client", c.client());
        if (c.user() != null) {
            item.put("user", c.user());
        } else {
            item.putNull("user");
        }
        return item;
    }

    /**
     * A subscription's listener: its reply on subscribe, messages encoded once for every
     * subscriber, join/leave pushes if asked for, and an {@code unsubscribed} push when this node
     * lost messages of the channel.
     */
    private final class Pushes extends Deliveries {
        private final JsonNode requestId;
        private final ChannelName channel;
        private final boolean recovering;
        private final boolean joinLeave;

        Pushes(JsonNode requestId, ChannelName channel, boolean recovering, boolean joinLeave) {
            this.requestId = requestId;
            this.channel = channel;
            this.recovering = recovering;
            this.joinLeave = joinLeave;
        }

        @Override
        public void onSubscribed(SubscribeResult result) {
            ObjectNode reply = ok(requestId);
            reply.put("offset", result.position().offset());
            reply.put("epoch", result.position().epoch());
            if (recovering) {
                reply.put("recovered", result.recovered());
            }
            reply(reply);
        }

        @Override
        public void onPresence(PresenceEvent event) {
            if (joinLeave) {
                ObjectNode push = JSON.createObjectNode();
                push.put("channel", channel.value());
                push.set(event.joined() ? "join" : "leave", client(event.client()));
                reply(push);
            }
        }

        @Override
        public void onInterrupted() {
            if (unsubscribe(channel)) {
                metrics.resubscribeRequested();
                log.info("session {}: messages of {} were lost on this node; asking the client to resubscribe ({})",
                        HubProtocolSession.this.id, channel, CloseCodes.RESUBSCRIBE);
                ObjectNode push = JSON.createObjectNode();
                push.put("channel", channel.value());
                ObjectNode why = push.putObject("unsubscribed");
                why.put("code", CloseCodes.RESUBSCRIBE);
                why.put("reason", "messages were lost on the server: subscribe again with recover");
                reply(push);
            }
        }
    }

    /** {@code "recover":{"offset":7,"epoch":"..."}}, or null when absent. */
    private static @org.jspecify.annotations.Nullable StreamPosition recoverField(JsonNode command) {
        JsonNode recover = command.get("recover");
        if (recover == null || recover.isNull()) {
            return null;
        }
        JsonNode offset = recover.get("offset");
        JsonNode epoch = recover.get("epoch");
        if (!recover.isObject() || offset == null || !offset.canConvertToLong() || !offset.isIntegralNumber()
                || offset.asLong() < 0 || epoch == null || !epoch.isTextual()) {
            throw new HubException(ErrorCode.INVALID_FIELD,
                    "'recover' must be {\"offset\": <offset >= 0>, \"epoch\": \"<epoch>\"}");
        }
        return new StreamPosition(offset.asLong(), epoch.asText());
    }

    private static boolean booleanField(JsonNode command, String name) {
        JsonNode value = command.get(name);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'" + name + "' must be true or false");
        }
        return value.asBoolean();
    }

    private static long longField(JsonNode command, String name, long absent) {
        JsonNode value = command.get(name);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'" + name + "' must be a whole number >= 0");
        }
        return value.asLong();
    }

    /** {@code {"op":"refresh","token":"<jwt>"}}: a fresh token for the same subject extends the connection. */
    private void refresh(JsonNode id, JsonNode command) {
        TokenVerifier tokens = config.tokens();
        Principal current = principal();
        if (tokens == null || current == null) {
            throw new HubException(ErrorCode.INVALID_FIELD, "authentication is off: nothing to refresh");
        }
        JsonNode token = command.get("token");
        if (token == null) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field 'token'");
        }
        if (!token.isTextual()) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'token' must be a string");
        }
        Principal next;
        try {
            next = tokens.verify(token.asText());
        } catch (TokenVerifier.InvalidTokenException e) {
            metrics.authFailure();
            throw new HubException(ErrorCode.INVALID_TOKEN, e.getMessage());
        }
        if (!next.subject().equals(current.subject())) {
            metrics.authFailure();
            throw new HubException(ErrorCode.INVALID_TOKEN, "the new token is for another subject");
        }
        refreshed(next);
        ObjectNode reply = ok(id);
        reply.put("expires", next.expiresAt().getEpochSecond());
        reply(reply);
    }

    private static ChannelName channel(JsonNode command) {
        JsonNode channel = command.get("channel");
        if (channel == null) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field 'channel'");
        }
        if (!channel.isTextual()) {
            throw new HubException(ErrorCode.INVALID_CHANNEL, "'channel' must be a string");
        }
        return ChannelName.of(channel.asText());
    }

    private static ObjectNode ok(JsonNode id) {
        ObjectNode reply = JSON.createObjectNode();
        reply.set("id", id);
        reply.put("ok", true);
        return reply;
    }

    private static ObjectNode published(JsonNode id, PublishResult result) {
        ObjectNode reply = ok(id);
        reply.put("offset", result.offset());
        reply.put("epoch", result.epoch());
        reply.put("subscribers", result.subscribers());
        return reply;
    }

    private void reject(JsonNode id, ErrorCode code, String message) {
        log.info("session {}: rejected command: {} {}", this.id, code.code(), message);
        metrics.protocolError();
        ObjectNode reply = JSON.createObjectNode();
        reply.set("id", id);
        reply.set("error", error(code, message));
        reply(reply);
    }

    /** The protocol's error object, {@code {"code":105,"message":"..."}}; the HTTP API uses it too. */
    static ObjectNode error(ErrorCode code, String message) {
        ObjectNode error = JSON.createObjectNode();
        error.put("code", code.code());
        error.put("message", message);
        return error;
    }

    /** A message's payload from a command's {@code data}: its JSON, as UTF-8. */
    static byte[] payload(JsonNode data) {
        try {
            return JSON.writeValueAsBytes(data);
        } catch (JsonProcessingException e) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'data' cannot be serialized");
        }
    }

    private void reply(ObjectNode reply) {
        try {
            send(WireBuffers.frame(WireBuffers.OPCODE_TEXT, JSON.writeValueAsBytes(reply)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a reply", e);
        }
    }

    @Override
    protected String describe() {
        return "hub protocol, " + subscriptionCount() + " channels";
    }
}
