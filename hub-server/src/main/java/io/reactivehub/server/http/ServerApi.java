package io.reactivehub.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubException;
import io.reactivehub.core.PayloadType;
import io.reactivehub.server.HubControl;
import io.reactivehub.server.HubMetrics;
import io.reactivehub.server.protocol.Failure;
import io.reactivehub.server.protocol.HubJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The server API for backends, with {@code Authorization: apikey <key>}: publish, broadcast,
 * subscribe and unsubscribe a user, disconnect, refresh, channels, presence, presence stats,
 * history, info and batch ({@link ApiMethods}; the OpenAPI description is {@code /api/openapi.json}). Replies and errors are the hub protocol's JSON (without an
 * {@code id}); 401 for a missing or wrong key, 429 after {@value #MAX_KEY_FAILURES} wrong keys
 * from one address within a minute (until the minute ends), 404 when no key is configured (the
 * API is off). A publish body over the maximum message size (plus room for the channel) gets 413
 * before it is read, and so does data over the maximum message size.
 */
final class ServerApi {
    static final int MAX_KEY_FAILURES = 10;
    /** Room in a publish body for the channel and the JSON around the data. */
    private static final int ENVELOPE = 1024;

    private final Hub hub;
    private final @Nullable String apiKey;
    private final HubMetrics metrics;
    private final int maxMessageSize;
    private final long maxReplyBytes;
    private final FailureThrottle keyFailures = new FailureThrottle(MAX_KEY_FAILURES, Duration.ofMinutes(1), 10_000);

    /** Room in other bodies beside the data (a broadcast's channel list, a batch's commands). */
    static final int BODY_ROOM = 64 * 1024;
    /** The most commands in one batch. */
    static final int MAX_BATCH = 100;

    private final ApiMethods methods;
    private final byte[] openApi;

    ServerApi(
            Hub hub,
            HubControl control,
            @Nullable String apiKey,
            int maxMessageSize,
            long maxReplyBytes,
            HubMetrics metrics) {
        this.hub = hub;
        this.methods = new ApiMethods(hub, control, maxMessageSize, maxReplyBytes, metrics);
        this.openApi = resource(OPENAPI_RESOURCE);
        this.apiKey = apiKey;
        this.maxMessageSize = maxMessageSize;
        this.maxReplyBytes = maxReplyBytes;
        this.metrics = metrics;
    }

    /** Thrown while reading a body past its cap. */
    private static final class TooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooLarge() {
            super(null, null, false, false);
        }
    }

    /**
     * {@code POST /api/publish} with {@code {"channel":"room","data":<any JSON>}}: 200 with the
     * offset, epoch and subscriber count; 400 for a bad body or channel.
     */
    Publisher<Void> publish(HttpServerRequest req, HttpServerResponse res) {
        return withBody(
                req,
                res,
                (long) maxMessageSize + ENVELOPE,
                "the body is a JSON object {\"channel\":...,\"data\":...}",
                command -> {
                    JsonNode channel = command.get("channel");
                    JsonNode data = command.get("data");
                    if (channel == null || !channel.isTextual() || !ChannelName.isValid(channel.asText())) {
                        return badRequest(res, ErrorCode.INVALID_CHANNEL, "'channel' must be a valid channel name");
                    }
                    if (data == null) {
                        return badRequest(res, ErrorCode.MISSING_FIELD, "missing field 'data'");
                    }
                    byte[] payload = HubJson.payload(data);
                    if (payload.length > maxMessageSize) {
                        return tooLarge(res, "data is over the maximum message size (" + maxMessageSize + " bytes)");
                    }
                    long start = System.nanoTime();
                    return hub.publish(ChannelName.of(channel.asText()), payload, PayloadType.JSON)
                            .flatMap(result -> {
                                metrics.published(payload.length, start);
                                return Responses.json(res, HttpResponseStatus.OK, HubJson.published(null, result));
                            })
                            .onErrorResume(e -> failure(res, "publish", e));
                });
    }

    static final String OPENAPI_RESOURCE = "/io/reactivehub/server/api/openapi.json";

    private static byte[] resource(String name) {
        try (java.io.InputStream in = ServerApi.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * {@code POST /api/<method>} with the method's parameters as a JSON object: 200 with its reply,
     * or the error's status and {@code {"error":{"code":..,"message":..}}}.
     */
    Publisher<Void> post(String method, HttpServerRequest req, HttpServerResponse res) {
        return withBody(
                req,
                res,
                body -> methods.call(method, body)
                        .flatMap(reply -> Responses.json(res, HttpResponseStatus.OK, reply))
                        .onErrorResume(e -> failure(res, method, e)));
    }

    /** {@code GET /api/<method>?...}: the query parameters (first value of each) as the method's parameters. */
    Publisher<Void> get(String method, HttpServerRequest req, HttpServerResponse res) {
        Publisher<Void> refused = refuseWithoutKey(req, res);
        if (refused != null) {
            return refused;
        }
        ObjectNode params = HubJson.MAPPER.createObjectNode();
        new QueryStringDecoder(req.uri()).parameters().forEach((k, v) -> {
            if (!v.isEmpty()) {
                params.put(k, v.get(0));
            }
        });
        String channel = req.param("channel");
        if (channel != null) {
            params.put("channel", QueryStringDecoder.decodeComponent(channel));
        }
        return methods.call(method, params)
                .flatMap(reply -> Responses.json(res, HttpResponseStatus.OK, reply))
                .onErrorResume(e -> failure(res, method, e));
    }

    /**
     * {@code POST /api/batch} with {@code {"commands":[{"method":"publish","params":{..}},..]}} (at
     * most {@value #MAX_BATCH}): run one after the other, {@code {"ok":true,"replies":[..]}} with one
     * reply per command in order, each the method's reply or its {@code {"error":..}}.
     */
    Publisher<Void> batch(HttpServerRequest req, HttpServerResponse res) {
        return withBody(req, res, body -> {
            JsonNode commands = body.get("commands");
            if (commands == null || !commands.isArray()) {
                return badRequest(res, ErrorCode.MISSING_FIELD, "missing field 'commands' (an array)");
            }
            if (commands.isEmpty() || commands.size() > MAX_BATCH) {
                return badRequest(res, ErrorCode.INVALID_FIELD, "'commands' must hold 1 to " + MAX_BATCH + " commands");
            }
            return reactor.core.publisher.Flux.fromIterable(commands)
                    .concatMap(c -> {
                        JsonNode method = c.get("method");
                        if (method == null || !method.isTextual() || !ApiMethods.NAMES.contains(method.asText())) {
                            return Mono.just(HubJson.error(
                                    null,
                                    ErrorCode.UNKNOWN_OP,
                                    "'method' must be one of " + new java.util.TreeSet<>(ApiMethods.NAMES)));
                        }
                        JsonNode params = c.has("params") ? c.get("params") : HubJson.MAPPER.createObjectNode();
                        return methods.call(method.asText(), params).onErrorResume(e -> {
                            Failure f = Failure.of(e, "server API: batch " + method.asText(), metrics);
                            return Mono.just(HubJson.error(null, f.code(), f.message()));
                        });
                    })
                    .collectList()
                    .flatMap(replies -> {
                        ObjectNode reply = HubJson.ok(null);
                        reply.putArray("replies").addAll(replies);
                        return Responses.json(res, HttpResponseStatus.OK, reply);
                    });
        });
    }

    /** {@code GET /api/openapi.json}: the API's OpenAPI 3 description (no key needed; 404 while the API is off). */
    Publisher<Void> openApi(HttpServerRequest req, HttpServerResponse res) {
        if (apiKey == null) {
            return refuseWithoutKey(req, res);
        }
        return res.status(HttpResponseStatus.OK)
                .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .sendByteArray(Mono.just(openApi));
    }

    /**
     * The key checked, a JSON-object body read up to {@value #BODY_ROOM} bytes past the maximum
     * message size (413 over it, 400 when not a JSON object), then {@code then}.
     */
    private Publisher<Void> withBody(
            HttpServerRequest req, HttpServerResponse res, Function<JsonNode, Mono<Void>> then) {
        return withBody(req, res, (long) maxMessageSize + BODY_ROOM, "the body is a JSON object", then);
    }

    /** As {@link #withBody(HttpServerRequest, HttpServerResponse, Function)}, up to {@code cap} bytes. */
    private Publisher<Void> withBody(
            HttpServerRequest req,
            HttpServerResponse res,
            long cap,
            String malformed,
            Function<JsonNode, Mono<Void>> then) {
        Publisher<Void> refused = refuseWithoutKey(req, res);
        if (refused != null) {
            return refused;
        }
        String declared = req.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
        if (declared != null
                && declared.chars().allMatch(Character::isDigit)
                && declared.length() < 19
                && Long.parseLong(declared) > cap) {
            return tooLarge(res, "the body is over " + cap + " bytes");
        }
        return req.receive()
                .asByteArray()
                .reduceWith(ByteArrayOutputStream::new, (body, chunk) -> {
                    if (body.size() + chunk.length > cap) {
                        throw new TooLarge();
                    }
                    body.writeBytes(chunk);
                    return body;
                })
                .map(ByteArrayOutputStream::toByteArray)
                .defaultIfEmpty(new byte[0])
                .flatMap(bytes -> {
                    JsonNode body;
                    try {
                        body = HubJson.MAPPER.readTree(bytes);
                    } catch (IOException e) {
                        body = null;
                    }
                    if (body == null || !body.isObject()) {
                        return badRequest(res, ErrorCode.MALFORMED, malformed);
                    }
                    return then.apply(body);
                })
                .onErrorResume(TooLarge.class, e -> tooLarge(res, "the body is over " + cap + " bytes"));
    }

    /** 413; the connection closes after it (an unread body may follow). */
    private Mono<Void> tooLarge(HttpServerResponse res, String why) {
        metrics.oversized();
        return Responses.json(
                res.keepAlive(false),
                HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                HubJson.error(null, ErrorCode.TOO_LARGE, why));
    }

    /** {@code GET /api/channels/{channel}/presence}: who is subscribed, on every node. */
    Publisher<Void> presence(HttpServerRequest req, HttpServerResponse res) {
        return channelQuery(
                req, res, "presence", channel -> hub.presence(channel).map(clients -> HubJson.presence(null, clients)));
    }

    /** {@code GET /api/channels/{channel}/history?limit=N&since=OFFSET}: the kept messages, oldest first. */
    Publisher<Void> history(HttpServerRequest req, HttpServerResponse res) {
        return channelQuery(req, res, "history", channel -> {
            QueryStringDecoder query = new QueryStringDecoder(req.uri());
            long limit;
            Long since;
            try {
                limit = longParam(query, "limit", 100);
                since = query.parameters().containsKey("since") ? longParam(query, "since", 0) : null;
            } catch (IllegalArgumentException e) {
                return Mono.error(new HubException(ErrorCode.INVALID_FIELD, e.getMessage()));
            }
            return hub.history(channel, since, (int) Math.min(Integer.MAX_VALUE, limit))
                    .map(history -> HubJson.history(null, history, maxReplyBytes));
        });
    }

    /**
     * A read about one channel: the key checked, the {@code {channel}} path parameter validated
     * (400), the answer sent as JSON, a failure as an HTTP error.
     */
    private Publisher<Void> channelQuery(
            HttpServerRequest req, HttpServerResponse res, String what, Function<ChannelName, Mono<ObjectNode>> query) {
        Publisher<Void> refused = refuseWithoutKey(req, res);
        if (refused != null) {
            return refused;
        }
        ChannelName channel = pathChannel(req);
        if (channel == null) {
            return badRequest(res, ErrorCode.INVALID_CHANNEL, "invalid channel name");
        }
        return query.apply(channel)
                .flatMap(reply -> Responses.json(res, HttpResponseStatus.OK, reply))
                .onErrorResume(e -> failure(res, what, e));
    }

    /** 404 when the API is off, 401 for a missing or wrong key, null when the key is right. */
    private @Nullable Publisher<Void> refuseWithoutKey(HttpServerRequest req, HttpServerResponse res) {
        String key = apiKey;
        if (key == null) {
            return Responses.json(
                    res,
                    HttpResponseStatus.NOT_FOUND,
                    HubJson.error(null, ErrorCode.UNKNOWN_OP, "the server API is off (no --api-key)"));
        }
        String ip = Admission.ip(req);
        if (keyFailures.blocked(ip)) {
            return Responses.json(
                    res,
                    HttpResponseStatus.TOO_MANY_REQUESTS,
                    HubJson.error(null, ErrorCode.TOO_MANY_FAILURES, "too many wrong API keys: retry in a minute"));
        }
        String auth = req.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        if (auth == null
                || !auth.regionMatches(true, 0, "apikey ", 0, 7)
                || !MessageDigest.isEqual(
                        auth.substring(7).trim().getBytes(StandardCharsets.UTF_8),
                        key.getBytes(StandardCharsets.UTF_8))) {
            metrics.authFailure();
            keyFailures.failed(ip);
            return Responses.json(
                    res,
                    HttpResponseStatus.UNAUTHORIZED,
                    HubJson.error(null, ErrorCode.PERMISSION_DENIED, "missing or wrong API key"));
        }
        return null;
    }

    private Mono<Void> failure(HttpServerResponse res, String what, Throwable e) {
        if (e instanceof HubException he && he.errorCode() == ErrorCode.TOO_LARGE) {
            return tooLarge(res, String.valueOf(he.getMessage()));
        }
        Failure failure = Failure.of(e, "server API: " + what, metrics);
        return Responses.json(res, failure.httpStatus(), HubJson.error(null, failure.code(), failure.message()));
    }

    private static Mono<Void> badRequest(HttpServerResponse res, ErrorCode code, String message) {
        return Responses.json(res, HttpResponseStatus.BAD_REQUEST, HubJson.error(null, code, message));
    }

    /** The {@code {channel}} path parameter, decoded and validated; null when invalid. */
    private static @Nullable ChannelName pathChannel(HttpServerRequest req) {
        String raw = req.param("channel");
        if (raw == null) {
            return null;
        }
        String name = QueryStringDecoder.decodeComponent(raw);
        return ChannelName.isValid(name) ? ChannelName.of(name) : null;
    }

    private static long longParam(QueryStringDecoder query, String name, long absent) {
        List<String> values = query.parameters().get(name);
        if (values == null || values.isEmpty()) {
            return absent;
        }
        try {
            long v = Long.parseLong(values.get(0));
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + name + "' must be a whole number >= 0");
        }
    }
}
