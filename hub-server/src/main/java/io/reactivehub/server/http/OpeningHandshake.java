package io.reactivehub.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The client's opening handshake (RFC 6455 section 4.2.1), checked before the upgrade so that a
 * faulty one gets an HTTP answer rather than an upgrade or a silently closed connection:
 *
 * <ul>
 *   <li>no {@code Upgrade} header with the token {@code websocket}: 426 with {@code Upgrade: websocket}
 *       (a plain HTTP request to a WebSocket endpoint);
 *   <li>no {@code Connection} header with the token {@code upgrade}: 400;
 *   <li>{@code Sec-WebSocket-Version} other than {@code 13}, missing or repeated: 426 with
 *       {@code Sec-WebSocket-Version: 13} (section 4.4);
 *   <li>{@code Sec-WebSocket-Key} missing, repeated, or not the base64 form of exactly 16 bytes: 400.
 * </ul>
 *
 * Tokens are matched case-insensitively in comma-separated lists ({@code Connection: keep-alive,
 * Upgrade}). The request method is the route's business: only GET reaches this check.
 */
final class OpeningHandshake {
    static final String VERSION = "13";
    private static final int KEY_BYTES = 16;
    /** Base64 of 16 bytes: 22 characters and the padding "==". */
    private static final int KEY_LENGTH = 24;

    private OpeningHandshake() {}

    /** Null when the handshake is well formed, or the refusal to send. */
    static Admission.@Nullable Refused check(HttpHeaders headers) {
        if (!headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            return res -> Responses.text(
                    res.header(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET),
                    HttpResponseStatus.UPGRADE_REQUIRED,
                    "this endpoint speaks WebSocket only");
        }
        if (!headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
            return res -> Responses.text(
                    res, HttpResponseStatus.BAD_REQUEST, "a WebSocket handshake needs Connection: Upgrade");
        }
        String version = single(headers, HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        if (version == null || !version.equals(VERSION)) {
            return res -> Responses.text(
                    res.header(HttpHeaderNames.SEC_WEBSOCKET_VERSION, VERSION),
                    HttpResponseStatus.UPGRADE_REQUIRED,
                    "only WebSocket version 13 is supported");
        }
        if (!isValidKey(single(headers, HttpHeaderNames.SEC_WEBSOCKET_KEY))) {
            return res -> Responses.text(
                    res,
                    HttpResponseStatus.BAD_REQUEST,
                    "Sec-WebSocket-Key must be the base64 encoding of 16 random bytes");
        }
        return null;
    }

    /** The header's value, trimmed, when it is sent exactly once. */
    private static @Nullable String single(HttpHeaders headers, CharSequence name) {
        List<String> values = headers.getAll(name);
        return values.size() == 1 ? values.get(0).trim() : null;
    }

    /** Whether {@code key} is the base64 (with padding) of exactly 16 bytes. */
    static boolean isValidKey(@Nullable String key) {
        if (key == null) {
            return false;
        }
        if (key.length() != KEY_LENGTH || !key.endsWith("==")) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key).length == KEY_BYTES;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
