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
import io.reactivehub.core.ChannelName;
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
                // Reply, then attach: the reply precedes every push of the channel, and whatever is
                // published after the client reads the reply reaches it.
                reply(ok(id));
                subscribe(channel);
            }
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
                e -> {
                    ErrorCode code = e instanceof HubException he ? he.errorCode() : ErrorCode.INTERNAL;
                    if (code == ErrorCode.INTERNAL) {
                        log.error("session {}: publish to {} failed", this.id, channel, e);
                    }
                    reject(id, code, e.getMessage());
                });
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
