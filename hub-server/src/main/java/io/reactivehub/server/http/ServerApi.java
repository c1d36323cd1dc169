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
import io.reactivehub.server.HubMetrics;
import io.reactivehub.server.protocol.Failure;
import io.reactivehub.server.protocol.HubJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The server API for backends, with {@code Authorization: apikey <key>}: publish, and read a
 * channel's presence and history. Replies and errors are the hub protocol's JSON (without an
 * {@code id}); 401 for a missing or wrong key, 404 when no key is configured (the API is off).
 */
final class ServerApi {
    private final Hub hub;
    private final @Nullable String apiKey;
    private final HubMetrics metrics;

    ServerApi(Hub hub, @Nullable String apiKey, HubMetrics metrics) {
        this.hub = hub;
        this.apiKey = apiKey;
        this.metrics = metrics;
    }

    /**
     * {@code POST /api/publish} with {@code {"channel":"room","data":<any JSON>}}: 200 with the
     * offset, epoch and subscriber count; 400 for a bad body or channel.
     */
    Publisher<Void> publish(HttpServerRequest req, HttpServerResponse res) {
        Publisher<Void> refused = refuseWithoutKey(req, res);
        if (refused != null) {
            return refused;
        }
        return req.receive()
                .aggregate()
                .asByteArray()
                .defaultIfEmpty(new byte[0])
                .flatMap(body -> {
                    JsonNode command;
                    try {
                        command = HubJson.MAPPER.readTree(body);
                    } catch (IOException e) {
                        command = null;
                    }
                    if (command == null || !command.isObject()) {
                        return badRequest(
                                res, ErrorCode.MALFORMED, "the body is a JSON object {\"channel\":...,\"data\":...}");
                    }
                    JsonNode channel = command.get("channel");
                    JsonNode data = command.get("data");
                    if (channel == null || !channel.isTextual() || !ChannelName.isValid(channel.asText())) {
                        return badRequest(res, ErrorCode.INVALID_CHANNEL, "'channel' must be a valid channel name");
                    }
                    if (data == null) {
                        return badRequest(res, ErrorCode.MISSING_FIELD, "missing field 'data'");
                    }
                    byte[] payload = HubJson.payload(data);
                    long start = System.nanoTime();
                    return hub.publish(ChannelName.of(channel.asText()), payload, PayloadType.JSON)
                            .flatMap(result -> {
                                metrics.published(payload.length, start);
                                return Responses.json(res, HttpResponseStatus.OK, HubJson.published(null, result));
                            })
                            .onErrorResume(e -> failure(res, "publish", e));
                });
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
                    .map(history -> HubJson.history(null, history));
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
        String auth = req.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        if (auth == null
                || !auth.regionMatches(true, 0, "apikey ", 0, 7)
                || !MessageDigest.isEqual(
                        auth.substring(7).trim().getBytes(StandardCharsets.UTF_8),
                        key.getBytes(StandardCharsets.UTF_8))) {
            metrics.authFailure();
            return Responses.json(
                    res,
                    HttpResponseStatus.UNAUTHORIZED,
                    HubJson.error(null, ErrorCode.PERMISSION_DENIED, "missing or wrong API key"));
        }
        return null;
    }

    private Mono<Void> failure(HttpServerResponse res, String what, Throwable e) {
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
