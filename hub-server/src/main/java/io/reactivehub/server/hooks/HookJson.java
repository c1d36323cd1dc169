package io.reactivehub.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reactivehub.core.ChannelName;
import io.reactivehub.server.protocol.HubJson;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP hooks' JSON: request bodies, and every answer checked field by field. An answer is
 * {@code {"result":{...}}} or {@code {"error":{...}}}; anything else is a {@link HookException}
 * (error 119) whose message names what was wrong but never repeats the backend's text.
 */
final class HookJson {
    /** Longest message or reason taken from a backend's error, in characters. */
    static final int MAX_REASON_LENGTH = 200;
    /** An expiry's bound: far enough for any application, near enough to stay a sane timer. */
    static final long MAX_EXPIRY_AHEAD_SECONDS = 10L * 366 * 24 * 3600;
    /** Most server-side channels one connect answer may name. */
    static final int MAX_CHANNELS = 1000;

    private HookJson() {}

    static ObjectNode connect(ConnectRequest r) {
        ObjectNode body = HubJson.MAPPER.createObjectNode();
        body.put("client", r.client());
        body.put("transport", r.transport());
        body.put("remoteAddress", r.remoteAddress());
        if (r.token() != null) {
            body.put("token", r.token());
        }
        ObjectNode headers = body.putObject("headers");
        r.headers().forEach(headers::put);
        ObjectNode cookies = body.putObject("cookies");
        r.cookies().forEach(cookies::put);
        return body;
    }

    static ObjectNode refresh(RefreshRequest r) {
        return who(r.client(), r.user(), r.info());
    }

    static ObjectNode subscribe(SubscribeRequest r) {
        ObjectNode body = who(r.client(), r.user(), r.info());
        body.put("channel", r.channel().value());
        return body;
    }

    static ObjectNode publish(PublishRequest r) {
        ObjectNode body = who(r.client(), r.user(), r.info());
        body.put("channel", r.channel().value());
        body.set("data", r.data());
        return body;
    }

    static ObjectNode rpc(RpcRequest r) {
        ObjectNode body = who(r.client(), r.user(), r.info());
        body.put("method", r.method());
        body.set("data", r.data());
        return body;
    }

    private static ObjectNode who(String client, String user, @Nullable JsonNode info) {
        ObjectNode body = HubJson.MAPPER.createObjectNode();
        body.put("client", client);
        body.put("user", user);
        if (info != null) {
            body.set("info", info);
        }
        return body;
    }

    /** {@code {"result":{"user":"alice","info":..,"channels":[..],"expires":<unix s>}}} or {@code {"error":{"code":4100,"reason":".."}}}. */
    static ConnectResult connectResult(byte[] body) {
        JsonNode answer = parse(body);
        JsonNode error = answer.get("error");
        if (error != null) {
            object(error, "error");
            int code = error.has("code")
                    ? (int) wholeNumber(error.get("code"), "error.code")
                    : ConnectResult.DEFAULT_REFUSAL_CODE;
            try {
                return new ConnectResult.Refuse(code, reason(error, "reason"));
            } catch (IllegalArgumentException e) {
                throw invalid("error.code is not 4006 or within 4100..4499");
            }
        }
        JsonNode result = result(answer);
        JsonNode user = result.get("user");
        if (user == null || !user.isTextual()) {
            throw invalid("result.user must be a string");
        }
        List<ChannelName> channels = new ArrayList<>();
        JsonNode list = result.get("channels");
        if (list != null && !list.isNull()) {
            if (!list.isArray() || list.size() > MAX_CHANNELS) {
                throw invalid("result.channels must be a list of at most " + MAX_CHANNELS + " channel names");
            }
            for (JsonNode c : list) {
                if (!c.isTextual() || !ChannelName.isValid(c.asText())) {
                    throw invalid("result.channels holds an invalid channel name");
                }
                channels.add(ChannelName.of(c.asText()));
            }
        }
        try {
            return new ConnectResult.Allow(user.asText(), info(result), channels, expires(result));
        } catch (IllegalArgumentException e) {
            throw invalid("result.user is not a valid user id");
        }
    }

    /** {@code {"result":{"expires":<unix s>}}} or {@code {"result":{"expired":true}}}. */
    static RefreshResult refreshResult(byte[] body) {
        JsonNode result = result(parse(body));
        JsonNode expired = result.get("expired");
        if (expired != null && expired.isBoolean() && expired.asBoolean()) {
            return RefreshResult.expire();
        }
        Instant expires = expires(result);
        if (expires == null) {
            throw invalid("result needs \"expires\" or \"expired\":true");
        }
        return RefreshResult.extend(expires);
    }

    /** {@code {"result":{"info":..}}} or {@code {"error":{"message":".."}}}. */
    static SubscribeDecision subscribeDecision(byte[] body) {
        JsonNode answer = parse(body);
        JsonNode error = answer.get("error");
        if (error != null) {
            return SubscribeDecision.deny(reason(object(error, "error"), "message"));
        }
        return SubscribeDecision.allow(info(result(answer)));
    }

    /** {@code {"result":{}}}, {@code {"result":{"data":..}}} or {@code {"error":{"message":".."}}}. */
    static PublishDecision publishDecision(byte[] body) {
        JsonNode answer = parse(body);
        JsonNode error = answer.get("error");
        if (error != null) {
            return PublishDecision.deny(reason(object(error, "error"), "message"));
        }
        JsonNode data = result(answer).get("data");
        return data == null ? PublishDecision.allow() : PublishDecision.replace(data);
    }

    /** {@code {"result":{"data":..}}} or {@code {"error":{"message":".."}}}. */
    static RpcResult rpcResult(byte[] body) {
        JsonNode answer = parse(body);
        JsonNode error = answer.get("error");
        if (error != null) {
            return RpcResult.error(reason(object(error, "error"), "message"));
        }
        JsonNode data = result(answer).get("data");
        return RpcResult.reply(data == null ? NullNode.getInstance() : data);
    }

    private static JsonNode parse(byte[] body) {
        JsonNode answer;
        try {
            answer = HubJson.MAPPER.readTree(body);
        } catch (IOException e) {
            throw invalid("not JSON");
        }
        if (answer == null || !answer.isObject()) {
            throw invalid("not a JSON object");
        }
        return answer;
    }

    private static JsonNode result(JsonNode answer) {
        JsonNode result = answer.get("result");
        if (result == null) {
            throw invalid("neither \"result\" nor \"error\"");
        }
        return object(result, "result");
    }

    private static JsonNode object(JsonNode node, String name) {
        if (!node.isObject()) {
            throw invalid(name + " must be an object");
        }
        return node;
    }

    private static @Nullable JsonNode info(JsonNode result) {
        JsonNode info = result.get("info");
        return info == null || info.isNull() ? null : info;
    }

    private static @Nullable Instant expires(JsonNode result) {
        JsonNode expires = result.get("expires");
        if (expires == null || expires.isNull()) {
            return null;
        }
        long seconds = wholeNumber(expires, "result.expires");
        if (seconds > Instant.now().getEpochSecond() + MAX_EXPIRY_AHEAD_SECONDS) {
            throw invalid("result.expires is more than ten years ahead");
        }
        return Instant.ofEpochSecond(seconds);
    }

    private static long wholeNumber(JsonNode node, String name) {
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 0) {
            throw invalid(name + " must be a whole number >= 0");
        }
        return node.asLong();
    }

    private static String reason(JsonNode error, String field) {
        JsonNode text = error.get(field);
        if (text == null || text.isNull()) {
            return "refused by the application";
        }
        if (!text.isTextual()) {
            throw invalid("error." + field + " must be a string");
        }
        String s = text.asText();
        return s.length() > MAX_REASON_LENGTH ? s.substring(0, MAX_REASON_LENGTH) : s;
    }

    private static HookException invalid(String why) {
        return new HookException("invalid answer: " + why);
    }
}
