package io.reactivehub.server.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.netty.buffer.ByteBuf;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HistoryResult;
import io.reactivehub.core.HubException;
import io.reactivehub.core.Message;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.PublishResult;
import io.reactivehub.core.SubscribeResult;
import io.reactivehub.core.codec.HubPushCodec;
import io.reactivehub.core.codec.WireBuffers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The one place that writes the hub protocol's JSON, for WebSocket replies and pushes and for the
 * HTTP server API alike: replies ({@code {"id":1,"ok":true,...}}), errors
 * ({@code {"id":1,"error":{"code":105,"message":"..."}}}), and the {@code data} of a message
 * (encoded by {@link HubPushCodec#data}, as in every push). The hot path, a published message's
 * push, is {@link HubPushCodec} itself; everything here is once per command.
 */
public final class HubJson {
    /**
     * Jackson's mapper for the protocol (thread-safe, shared). A text is one JSON value: anything
     * after it but whitespace ({@code {"op":"ping"} x}) makes it malformed.
     */
    public static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * The code of an {@code unsubscribed} push (not a close code): this node lost messages of the
     * channel; the client subscribes again with {@code recover}.
     */
    public static final int RESUBSCRIBE = 4004;

    /**
     * The code of an {@code unsubscribed} push (not a close code): a {@code refresh} brought a token
     * that no longer allows the channel; the subscription ended and its presence entry is gone.
     */
    public static final int PERMISSION_WITHDRAWN = 4005;
    /** Code of the {@code unsubscribed} push when the server API ended the subscription: do not resubscribe. */
    public static final int UNSUBSCRIBED_BY_SERVER = 4009;

    private HubJson() {}

    /** {@code {"id":..,"ok":true}}; without {@code id} when null (the HTTP API has none). */
    public static ObjectNode ok(@Nullable JsonNode id) {
        ObjectNode reply = MAPPER.createObjectNode();
        if (id != null) {
            reply.set("id", id);
        }
        reply.put("ok", true);
        return reply;
    }

    /** {@code {"id":..,"error":{"code":105,"message":"..."}}}; without {@code id} when null. */
    public static ObjectNode error(@Nullable JsonNode id, ErrorCode code, String message) {
        ObjectNode reply = MAPPER.createObjectNode();
        if (id != null) {
            reply.set("id", id);
        }
        ObjectNode error = reply.putObject("error");
        error.put("code", code.code());
        error.put("message", message);
        return reply;
    }

    /** A publish's reply: offset, epoch, and how many subscribers (or nodes, with Redis) received it. */
    public static ObjectNode published(@Nullable JsonNode id, PublishResult result) {
        ObjectNode reply = ok(id);
        reply.put("offset", result.offset());
        reply.put("epoch", result.epoch());
        reply.put("subscribers", result.subscribers());
        return reply;
    }

    /** A subscribe's reply: where the channel's stream stands, and whether the recovery asked for worked. */
    public static ObjectNode subscribed(JsonNode id, SubscribeResult result, boolean recovering) {
        ObjectNode reply = ok(id);
        reply.put("offset", result.position().offset());
        reply.put("epoch", result.position().epoch());
        if (recovering) {
            reply.put("recovered", result.recovered());
        }
        return reply;
    }

    /** JSON around one history entry: {@code {"offset":N,"data":...,"encoding":"base64"},}. */
    private static final int ENTRY_OVERHEAD = 64;

    /**
     * A history's reply: top offset, epoch, and the messages, each with its offset and {@code data},
     * oldest first, as many as fit in {@code maxBytes} (data plus each entry's JSON, at least one);
     * when some are left
     * out, {@code "truncated": true} and the client asks again with {@code since} = the last offset.
     */
    public static ObjectNode history(@Nullable JsonNode id, HistoryResult history, long maxBytes) {
        ObjectNode reply = ok(id);
        reply.put("offset", history.top().offset());
        reply.put("epoch", history.top().epoch());
        ArrayNode messages = reply.putArray("messages");
        long bytes = 0;
        for (Message m : history.messages()) {
            byte[] data = HubPushCodec.data(m);
            bytes += data.length + ENTRY_OVERHEAD;
            if (bytes > maxBytes && !messages.isEmpty()) {
                reply.put("truncated", true);
                break;
            }
            ObjectNode item = messages.addObject();
            item.put("offset", m.offset());
            item.putRawValue("data", new RawValue(new String(data, StandardCharsets.UTF_8)));
            if (HubPushCodec.isBase64(m)) {
                item.put("encoding", "base64");
            }
        }
        return reply;
    }

    /**
     * A presence reply: {@code "clients":[{"client":"...","user":"..."}]}, one entry per connection,
     * and per user: {@code "users":{"alice":2}} (connections by user id; connections without a
     * user are not in it) and {@code "userCount"}: how many distinct users.
     */
    public static ObjectNode presence(@Nullable JsonNode id, List<ClientInfo> clients) {
        ObjectNode reply = ok(id);
        ArrayNode list = reply.putArray("clients");
        Map<String, Integer> users = new TreeMap<>();
        for (ClientInfo c : clients) {
            list.add(client(c));
            if (c.user() != null && !c.user().isEmpty()) {
                users.merge(c.user(), 1, Integer::sum);
            }
        }
        ObjectNode perUser = reply.putObject("users");
        users.forEach(perUser::put);
        reply.put("userCount", users.size());
        return reply;
    }

    /** An rpc's reply: {@code {"id":..,"ok":true,"data":...}}. */
    public static ObjectNode rpc(JsonNode id, JsonNode data) {
        ObjectNode reply = ok(id);
        reply.set("data", data);
        return reply;
    }

    /**
     * A server-side subscription made at connect: {@code {"channel":"c","subscribed":{"offset":..,
     * "epoch":".."}}}; pushes of the channel follow.
     */
    public static ObjectNode subscribedPush(ChannelName channel, SubscribeResult result) {
        ObjectNode push = MAPPER.createObjectNode();
        push.put("channel", channel.value());
        ObjectNode position = push.putObject("subscribed");
        position.put("offset", result.position().offset());
        position.put("epoch", result.position().epoch());
        return push;
    }

    /** {@code {"channel":"c","join":{...}}} or {@code "leave"}. */
    public static ObjectNode presencePush(ChannelName channel, PresenceEvent event) {
        ObjectNode push = MAPPER.createObjectNode();
        push.put("channel", channel.value());
        push.set(event.joined() ? "join" : "leave", client(event.client()));
        return push;
    }

    /** {@code {"channel":"c","unsubscribed":{"code":4004,"reason":"..."}}}. */
    public static ObjectNode unsubscribedPush(ChannelName channel) {
        return unsubscribed(channel, RESUBSCRIBE, "messages were lost on the server: subscribe again with recover");
    }

    /** {@code {"channel":"c","unsubscribed":{"code":4005,"reason":"..."}}}. */
    /** The server API unsubscribed the connection: the client ends the subscription (no resubscribe). */
    public static ObjectNode serverUnsubscribedPush(ChannelName channel) {
        return unsubscribed(channel, UNSUBSCRIBED_BY_SERVER, "unsubscribed by the server");
    }

    public static ObjectNode permissionWithdrawnPush(ChannelName channel) {
        return unsubscribed(
                channel, PERMISSION_WITHDRAWN, "permission withdrawn: the refreshed token does not allow this channel");
    }

    private static ObjectNode unsubscribed(ChannelName channel, int code, String reason) {
        ObjectNode push = MAPPER.createObjectNode();
        push.put("channel", channel.value());
        ObjectNode why = push.putObject("unsubscribed");
        why.put("code", code);
        why.put("reason", reason);
        return push;
    }

    private static ObjectNode client(ClientInfo c) {
        ObjectNode item = MAPPER.createObjectNode();
        item.put("client", c.client());
        if (c.user() != null) {
            item.put("user", c.user());
        } else {
            item.putNull("user");
        }
        return item;
    }

    /** A message's payload from a command's {@code data}: its JSON, as UTF-8. */
    public static byte[] payload(JsonNode data) {
        try {
            return MAPPER.writeValueAsBytes(data);
        } catch (JsonProcessingException e) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'data' cannot be serialized");
        }
    }

    /** The JSON as text. */
    public static String text(ObjectNode node) {
        return node.toString();
    }

    /** The JSON in one WebSocket text frame, ready for a connection's writer. */
    public static ByteBuf frame(ObjectNode node) {
        try {
            return WireBuffers.frame(WireBuffers.OPCODE_TEXT, MAPPER.writeValueAsBytes(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a reply", e);
        }
    }
}
