package io.reactivehub.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.reactivehub.server.HubMetrics;
import io.reactivehub.server.LogText;
import io.reactivehub.server.auth.Principal;
import io.reactivehub.server.auth.TokenVerifier;
import io.reactivehub.server.config.ConnectionLimits;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.session.SessionRegistry;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Every check before a WebSocket upgrade, cheapest refusal first: not an upgrade or a malformed
 * handshake (426, 400: {@link OpeningHandshake}), shutting down (503), origin (403), connection
 * limits (503, 429), token (401). Each refusal past the handshake is counted and logged once;
 * nothing is held for a refused request. Counts are of open sessions, so a burst of
 * simultaneous upgrades can overshoot a limit by the upgrades in flight.
 */
final class Admission {
    private static final Logger log = LoggerFactory.getLogger(Admission.class);

    /**
     * The outcome: a principal to open a session for (null when the hub runs open or the connect
     * hook decides), or a refusal.
     */
    sealed interface Result permits Admitted, Refused {}

    /**
     * @param principal from a verified token; null when there is none to verify
     * @param token     the credentials as sent, for the connect hook, when no token verifier takes them
     */
    record Admitted(@Nullable Principal principal, @Nullable String token) implements Result {}

    /** Sends the refusal. */
    @FunctionalInterface
    non-sealed interface Refused extends Result {
        Publisher<Void> send(HttpServerResponse res);
    }

    private final ServerConfig config;
    private final SessionRegistry sessions;
    private final HubMetrics metrics;
    private final BooleanSupplier draining;

    Admission(ServerConfig config, SessionRegistry sessions, HubMetrics metrics, BooleanSupplier draining) {
        this.config = config;
        this.sessions = sessions;
        this.metrics = metrics;
        this.draining = draining;
    }

    Result admit(HttpServerRequest req) {
        Refused malformed = OpeningHandshake.check(req.requestHeaders());
        if (malformed != null) {
            log.debug("refused a connection from {}: malformed WebSocket handshake", ip(req));
            return malformed;
        }
        if (draining.getAsBoolean()) {
            return refuse(HttpResponseStatus.SERVICE_UNAVAILABLE, "shutdown", "server shutting down");
        }
        ConnectionLimits limits = config.limits();
        String ip = ip(req);
        String origin = req.requestHeaders().get(HttpHeaderNames.ORIGIN);
        if (!limits.originAllowed(origin)) {
            log.info("refused a connection from {}: origin {} is not allowed", ip, LogText.escape(origin));
            return refuse(HttpResponseStatus.FORBIDDEN, "origin", "origin not allowed");
        }
        if (sessions.size() >= limits.maxConnections()) {
            log.warn("refused a connection from {}: {} connections open, the maximum", ip, limits.maxConnections());
            return refuse(HttpResponseStatus.SERVICE_UNAVAILABLE, "max_connections", "too many connections");
        }
        if (!sessions.ipHasRoom(ip, limits.maxConnectionsPerIp())) {
            log.info(
                    "refused a connection from {}: {} connections from that address, the maximum",
                    ip,
                    limits.maxConnectionsPerIp());
            return refuse(
                    HttpResponseStatus.TOO_MANY_REQUESTS,
                    "max_connections_per_ip",
                    "too many connections from your address");
        }
        return authenticate(req, ip);
    }

    /**
     * With a token verifier, a token sent must be valid (401 otherwise) and then skips the connect
     * hook; without a token, the connect hook decides if there is one (else 401). Without a
     * verifier, the connect hook (if any) gets the token as sent.
     */
    private Result authenticate(HttpServerRequest req, String ip) {
        TokenVerifier tokens = config.tokens();
        String token = token(req);
        if (tokens == null) {
            return new Admitted(null, token);
        }
        if (token == null) {
            if (config.hooks().connect() != null) {
                return new Admitted(null, null);
            }
            return unauthorized(ip, true, "missing token: send Authorization: Bearer <jwt> or ?token=<jwt>");
        }
        try {
            return new Admitted(tokens.verify(token), null);
        } catch (TokenVerifier.InvalidTokenException e) {
            return unauthorized(ip, false, e.getMessage());
        }
    }

    private static @Nullable String token(HttpServerRequest req) {
        String header = req.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return header.substring(7).trim();
        }
        List<String> query = new QueryStringDecoder(req.uri()).parameters().get("token");
        return query == null || query.isEmpty() ? null : query.get(0);
    }

    /**
     * 401 with the reason in the body and, for clients that only see headers (a WebSocket client's
     * failed handshake), in {@code WWW-Authenticate: Bearer error="...", error_description="..."}
     * (RFC 6750 section 3).
     */
    private Refused unauthorized(String ip, boolean missing, String why) {
        log.info("refused a connection from {}: {}", ip, LogText.escape(why));
        metrics.authFailure();
        String challenge = "Bearer error=\"" + (missing ? "invalid_request" : "invalid_token")
                + "\", error_description=\"" + quoted(why) + "\"";
        return res -> res.status(HttpResponseStatus.UNAUTHORIZED)
                .header(HttpHeaderNames.WWW_AUTHENTICATE, challenge)
                .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .sendString(Mono.just(why + "\n"));
    }

    private Refused refuse(HttpResponseStatus status, String reason, String text) {
        metrics.rejected(reason);
        return res -> Responses.text(res, status, text);
    }

    /** The inside of an HTTP quoted-string: printable ASCII only, quotes and backslashes escaped. */
    private static String quoted(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else {
                out.append(c >= 0x20 && c < 0x7F ? c : '?');
            }
        }
        return out.toString();
    }

    /** The remote address as text, for limits and logs. */
    static String ip(HttpServerRequest req) {
        InetSocketAddress remote = req.remoteAddress();
        return remote == null
                ? "unknown"
                : remote.getAddress() == null
                        ? remote.getHostString()
                        : remote.getAddress().getHostAddress();
    }
}
