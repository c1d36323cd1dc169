package io.reactivehub.server.hooks;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A connection asking to open, before its upgrade to a WebSocket.
 *
 * @param client        the connection's id, unique across nodes (its id in presence)
 * @param transport     {@code hub} ({@code /hub}) or {@code raw} ({@code /ws}, {@code /ws/{channel}})
 * @param remoteAddress the client's IP address
 * @param token         the credentials as sent ({@code Authorization: Bearer} or {@code ?token=}),
 *                      unverified: with JWT authentication on this is always null (a present token
 *                      is verified and skips the hook); null when none was sent
 * @param headers       the request's headers named in the allow-list ({@link Hooks.Builder#forwardHeaders}),
 *                      by lower-case name; the first value of each
 * @param cookies       the request's cookies named in the allow-list ({@link Hooks.Builder#forwardCookies})
 */
public record ConnectRequest(
        String client,
        String transport,
        String remoteAddress,
        @Nullable String token,
        Map<String, String> headers,
        Map<String, String> cookies) {
    public ConnectRequest {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(remoteAddress, "remoteAddress");
        headers = Map.copyOf(headers);
        cookies = Map.copyOf(cookies);
    }
}
