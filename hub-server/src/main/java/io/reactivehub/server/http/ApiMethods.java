package io.reactivehub.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelQuery;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubException;
import io.reactivehub.server.CloseCodes;
import io.reactivehub.server.HubControl;
import io.reactivehub.server.HubMetrics;
import io.reactivehub.server.LogText;
import io.reactivehub.server.protocol.HubJson;
import io.reactivehub.server.session.DisconnectReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The server API's methods by name, each taking its parameters as a JSON object and answering the
 * reply's JSON (or failing with {@link HubException}): the one place HTTP endpoints and batch
 * commands meet {@link HubControl}. Parameters are checked here; a bad one is error 103, 104 or 105.
 */
final class ApiMethods {
    private static final Logger log = LoggerFactory.getLogger(ApiMethods.class);
    /** The methods a batch may hold (every one but batch). */
    static final Set<String> NAMES = Set.of(
            "publish",
            "broadcast",
            "subscribe",
            "unsubscribe",
            "disconnect",
            "refresh",
            "channels",
            "presence",
            "presence_stats",
            "history",
            "info");
    /** A refresh sets an expiry at most this far ahead. */
    static final Duration MAX_EXPIRY = Duration.ofDays(366);

    private final Hub hub;
    private final HubControl control;
    private final int maxMessageSize;
    private final long maxReplyBytes;
    private final HubMetrics metrics;

    ApiMethods(Hub hub, HubControl control, int maxMessageSize, long maxReplyBytes, HubMetrics metrics) {
        this.hub = hub;
        this.control = control;
        this.maxMessageSize = maxMessageSize;
        this.maxReplyBytes = maxReplyBytes;
        this.metrics = metrics;
    }

    /** Runs a method; errors with {@link HubException} for bad parameters or a failed operation. */
    Mono<ObjectNode> call(String method, JsonNode params) {
        return Mono.defer(() -> {
            if (!params.isObject()) {
                throw new HubException(ErrorCode.MALFORMED, "the parameters are a JSON object");
            }
            return switch (method) {
                case "publish" -> publish(params);
                case "broadcast" -> broadcast(params);
                case "subscribe" ->
                    control.subscribe(user(params), channel(params, "channel")).thenReturn(HubJson.ok(null));
                case "unsubscribe" ->
                    control.unsubscribe(user(params), channel(params, "channel"))
                            .thenReturn(HubJson.ok(null));
                case "disconnect" -> disconnect(params);
                case "refresh" -> refresh(params);
                case "channels" -> channels(params);
                case "presence" -> hub.presence(channel(params, "channel")).map(c -> HubJson.presence(null, c));
                case "presence_stats" ->
                    control.presenceStats(channel(params, "channel"))
                            .map(s -> HubJson.ok(null)
                                    .put("connections", s.connections())
                                    .put("users", s.users()));
                case "history" -> history(params);
                case "info" -> info();
                default ->
                    throw new HubException(ErrorCode.UNKNOWN_OP, "unknown method '" + LogText.escape(method) + "'");
            };
        });
    }

    private Mono<ObjectNode> publish(JsonNode params) {
        ChannelName channel = channel(params, "channel");
        byte[] payload = data(params);
        long start = System.nanoTime();
        return control.publish(channel, payload).map(result -> {
            metrics.published(payload.length, start);
            return HubJson.published(null, result);
        });
    }

    private Mono<ObjectNode> broadcast(JsonNode params) {
        JsonNode list = params.get("channels");
        if (list == null || !list.isArray()) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field 'channels' (an array of channel names)");
        }
        if (list.isEmpty() || list.size() > HubControl.MAX_BROADCAST_CHANNELS) {
            throw new HubException(
                    ErrorCode.INVALID_FIELD,
                    "'channels' must hold 1 to " + HubControl.MAX_BROADCAST_CHANNELS + " channels");
        }
        List<ChannelName> channels = new ArrayList<>(list.size());
        for (JsonNode c : list) {
            if (!c.isTextual() || !ChannelName.isValid(c.asText())) {
                throw new HubException(ErrorCode.INVALID_CHANNEL, "'channels' must be valid channel names");
            }
            channels.add(ChannelName.of(c.asText()));
        }
        byte[] payload = data(params);
        long start = System.nanoTime();
        return control.broadcast(channels, payload).map(outcomes -> {
            ObjectNode reply = HubJson.ok(null);
            ArrayNode results = reply.putArray("results");
            for (HubControl.Published p : outcomes) {
                ObjectNode item;
                if (p.result() != null) {
                    metrics.published(payload.length, start);
                    item = HubJson.published(null, p.result());
                    item.remove("ok");
                } else {
                    HubException e = p.error();
                    item = HubJson.error(
                            null,
                            e == null ? ErrorCode.INTERNAL : e.errorCode(),
                            String.valueOf(e == null ? "" : e.getMessage()));
                }
                results.addObject().put("channel", p.channel().value()).setAll(item);
            }
            return reply;
        });
    }

    private Mono<ObjectNode> disconnect(JsonNode params) {
        String user = user(params);
        long code = number(params, "code", CloseCodes.DISCONNECTED_BY_SERVER);
        if (code < CloseCodes.SERVER_DISCONNECT_MIN || code > CloseCodes.SERVER_DISCONNECT_MAX) {
            throw new HubException(
                    ErrorCode.INVALID_FIELD,
                    "'code' must be " + CloseCodes.SERVER_DISCONNECT_MIN + " to " + CloseCodes.SERVER_DISCONNECT_MAX);
        }
        String reason = text(params, "reason", "disconnected by the server");
        if (reason.getBytes(StandardCharsets.UTF_8).length > 123) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'reason' must be at most 123 bytes of UTF-8");
        }
        log.info("server API: disconnect '{}' with {} on every node", LogText.escape(user), code);
        return control.disconnect(user, new DisconnectReason((int) code, reason))
                .thenReturn(HubJson.ok(null));
    }

    private Mono<ObjectNode> refresh(JsonNode params) {
        String user = user(params);
        JsonNode expires = params.get("expires");
        if (expires == null) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field 'expires' (epoch seconds)");
        }
        long at = number(params, "expires", 0);
        long now = Instant.now().getEpochSecond();
        if (at <= now || at > now + MAX_EXPIRY.toSeconds()) {
            throw new HubException(
                    ErrorCode.INVALID_FIELD, "'expires' must be in the future, at most 366 days ahead (epoch seconds)");
        }
        return control.refresh(user, Instant.ofEpochSecond(at)).thenReturn(HubJson.ok(null));
    }

    private Mono<ObjectNode> channels(JsonNode params) {
        ChannelQuery query = new ChannelQuery(optionalText(params, "pattern"), optionalText(params, "cursor"), (int)
                Math.min(Integer.MAX_VALUE, number(params, "limit", ChannelQuery.DEFAULT_LIMIT)));
        return control.channels(query).map(page -> {
            ObjectNode reply = HubJson.ok(null);
            ArrayNode list = reply.putArray("channels");
            page.channels()
                    .forEach(e -> list.addObject().put("channel", e.channel()).put("subscribers", e.subscribers()));
            if (page.cursor() != null) {
                reply.put("cursor", page.cursor());
            } else {
                reply.putNull("cursor");
            }
            reply.put("complete", page.complete());
            return reply;
        });
    }

    private Mono<ObjectNode> history(JsonNode params) {
        ChannelName channel = channel(params, "channel");
        long limit = number(params, "limit", 100);
        Long since = params.has("since") ? number(params, "since", 0) : null;
        return hub.history(channel, since, (int) Math.min(Integer.MAX_VALUE, limit))
                .map(h -> HubJson.history(null, h, maxReplyBytes));
    }

    private Mono<ObjectNode> info() {
        return control.info().map(nodes -> {
            ObjectNode reply = HubJson.ok(null);
            ArrayNode list = reply.putArray("nodes");
            nodes.forEach(n -> list.addObject()
                    .put("id", n.id())
                    .put("version", n.version())
                    .put("connections", n.connections())
                    .put("users", n.users())
                    .put("channels", n.channels())
                    .put("uptime", n.uptime().toSeconds()));
            return reply;
        });
    }

    private byte[] data(JsonNode params) {
        JsonNode data = params.get("data");
        if (data == null) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field 'data'");
        }
        byte[] payload = HubJson.payload(data);
        if (payload.length > maxMessageSize) {
            throw new HubException(
                    ErrorCode.TOO_LARGE, "data is over the maximum message size (" + maxMessageSize + " bytes)");
        }
        return payload;
    }

    private static ChannelName channel(JsonNode params, String field) {
        JsonNode c = params.get(field);
        if (c == null) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field '" + field + "'");
        }
        if (!c.isTextual() || !ChannelName.isValid(c.asText())) {
            throw new HubException(ErrorCode.INVALID_CHANNEL, "'" + field + "' must be a valid channel name");
        }
        return ChannelName.of(c.asText());
    }

    private static String user(JsonNode params) {
        JsonNode u = params.get("user");
        if (u == null) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field 'user'");
        }
        if (!u.isTextual() || u.asText().isEmpty() || u.asText().length() > HubControl.MAX_USER_LENGTH) {
            throw new HubException(
                    ErrorCode.INVALID_FIELD,
                    "'user' must be a string of 1 to " + HubControl.MAX_USER_LENGTH + " characters");
        }
        return u.asText();
    }

    /** A whole number >= 0, given as a JSON number or (from a query string) as text. */
    private static long number(JsonNode params, String field, long absent) {
        JsonNode n = params.get(field);
        if (n == null || n.isNull()) {
            return absent;
        }
        try {
            long v = n.isIntegralNumber() && n.canConvertToLong()
                    ? n.asLong()
                    : n.isTextual() ? Long.parseLong(n.asText()) : -1;
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'" + field + "' must be a whole number >= 0");
        }
    }

    private static String text(JsonNode params, String field, String absent) {
        String t = optionalText(params, field);
        return t == null ? absent : t;
    }

    private static @Nullable String optionalText(JsonNode params, String field) {
        JsonNode n = params.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'" + field + "' must be a string");
        }
        return n.asText();
    }
}
