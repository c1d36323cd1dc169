package io.reactivehub.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.reactivehub.server.LogText;
import io.reactivehub.server.auth.Principal;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.hooks.ConnectRequest;
import io.reactivehub.server.hooks.ConnectResult;
import io.reactivehub.server.hooks.Hooks;
import io.reactivehub.server.protocol.HubProtocol;
import io.reactivehub.server.session.DisconnectReason;
import io.reactivehub.server.session.ProtocolHandler;
import io.reactivehub.server.session.Session;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;

/**
 * The connect hook, between admission and the upgrade: asks it with the allow-listed headers and
 * cookies and the credentials as sent, and settles the session's principal (allowed) or its
 * refusal (the close code it opens with). The call is bounded by the hook timeout and by the
 * handshake timeout, whichever is shorter: the request is not upgraded meanwhile, so it counts
 * among the pending connections. Thread-safe.
 */
final class ConnectCall {
    private static final Logger log = LoggerFactory.getLogger(ConnectCall.class);

    private final Hooks hooks;
    private final Duration limit;

    ConnectCall(ServerConfig config) {
        this.hooks = config.hooks();
        Duration handshake = config.limits().handshakeTimeout();
        this.limit = hooks.timeout().compareTo(handshake) < 0 ? hooks.timeout() : handshake;
    }

    /** Completes once the session knows its principal or its refusal; never errors. */
    Mono<Void> ask(
            Hooks.Connect hook,
            HttpServerRequest req,
            Session session,
            ProtocolHandler protocol,
            String ip,
            @Nullable String token) {
        ConnectRequest request = new ConnectRequest(
                session.id(), protocol instanceof HubProtocol ? "hub" : "raw", ip, token, headers(req), cookies(req));
        return hooks.call("connect", "session " + session.id(), limit, () -> hook.onConnect(request))
                .doOnNext(result -> settle(session, ip, result))
                .onErrorResume(e -> {
                    session.refuse(DisconnectReason.CONNECT_HOOK_FAILED);
                    return Mono.empty();
                })
                .then();
    }

    private static void settle(Session session, String ip, ConnectResult result) {
        if (result instanceof ConnectResult.Allow allow) {
            session.authenticated(Principal.hooked(allow.user(), allow.info(), allow.channels(), allow.expiresAt()));
            log.debug("session {}: the connect hook allowed '{}'", session.id(), LogText.escape(allow.user()));
        } else if (result instanceof ConnectResult.Refuse refuse) {
            log.info(
                    "refused a connection from {}: the connect hook said {} {}",
                    ip,
                    refuse.code(),
                    LogText.escape(refuse.reason()));
            session.refuse(new DisconnectReason(refuse.code(), refuse.reason()));
        }
    }

    private Map<String, String> headers(HttpServerRequest req) {
        List<String> names = hooks.forwardHeaders();
        if (names.isEmpty()) {
            return Map.of();
        }
        Map<String, String> headers = new HashMap<>();
        for (String name : names) {
            String value = req.requestHeaders().get(name);
            if (value != null) {
                headers.put(name, value);
            }
        }
        return headers;
    }

    private Map<String, String> cookies(HttpServerRequest req) {
        List<String> names = hooks.forwardCookies();
        String header = req.requestHeaders().get(HttpHeaderNames.COOKIE);
        if (names.isEmpty() || header == null) {
            return Map.of();
        }
        Map<String, String> cookies = new HashMap<>();
        for (Cookie cookie : ServerCookieDecoder.LAX.decodeAll(header)) {
            if (names.contains(cookie.name())) {
                cookies.putIfAbsent(cookie.name(), cookie.value());
            }
        }
        return cookies;
    }
}
