package io.reactivehub.core.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The token side of a {@link HubProtocolClient}: asks the application's supplier for a token at
 * each connect, and on an open connection sends {@code refresh} with a fresh one before the
 * current token's {@code exp}, so the hub never closes the connection with 4003. A refresh that
 * fails is tried again after a pause while the token lasts; past its {@code exp} the hub closes
 * with 4003 and the client reconnects with a new token. Thread-safe.
 */
final class TokenRefresh {
    private static final Logger log = LoggerFactory.getLogger(TokenRefresh.class);
    /** Refresh no earlier than this before {@code exp} (a quarter of the token's life when shorter). */
    private static final Duration LEAD = Duration.ofSeconds(60);
    /** Never refresh sooner than this after the last one (a token with under a second left). */
    private static final long MIN_DELAY_MILLIS = 1000;

    private final HubProtocolClient client;
    private final Supplier<Mono<String>> supplier;
    private final Duration timeout;
    private final Disposable.Swap timer = Disposables.swap();

    TokenRefresh(HubProtocolClient client, Supplier<Mono<String>> supplier, Duration timeout) {
        this.client = client;
        this.supplier = supplier;
        this.timeout = timeout;
    }

    /** A token from the supplier: errors when it fails, answers nothing in time or gives a blank one. */
    Mono<String> next() {
        return Mono.defer(supplier)
                .timeout(timeout)
                .filter(token -> !token.isBlank())
                .switchIfEmpty(Mono.error(new IllegalStateException("the token supplier gave no token")));
    }

    /** {@code c} opened with {@code token}: keep it fresh. */
    void start(HubClient.Connection c, String token) {
        schedule(c, token, -1);
    }

    /** The connection is gone or the client closed. */
    void stop() {
        timer.update(Disposables.disposed());
    }

    /**
     * Plans the next refresh of {@code c}'s token (expiring at {@code exp}); {@code previousExp}:
     * the one it replaced (-1 at connect). A token that does not outlive the previous one (a supplier
     * handing out the same cached token) is not refreshed again: at its exp the hub closes with
     * 4003 and the client reconnects with whatever the supplier gives then.
     */
    private void schedule(HubClient.Connection c, String token, long previousExp) {
        long exp = expiresAt(token);
        if (exp < 0) {
            return; // no exp: nothing to refresh
        }
        if (previousExp >= 0 && exp <= previousExp) {
            log.warn("the token supplier gave no later token (exp {}): the hub will close at its expiry", exp);
            return;
        }
        long left = exp * 1000 - System.currentTimeMillis();
        long lead = Math.min(LEAD.toMillis(), Math.max(left / 4, 1000));
        later(c, Math.max(MIN_DELAY_MILLIS, left - lead), exp);
    }

    private void later(HubClient.Connection c, long delayMillis, long exp) {
        if (client.connection() != c) {
            return; // a late answer for a connection already gone must not cancel the next one's timer
        }
        timer.update(Schedulers.parallel().schedule(() -> refresh(c, exp), delayMillis, TimeUnit.MILLISECONDS));
    }

    private void refresh(HubClient.Connection c, long exp) {
        if (client.connection() != c) {
            return;
        }
        next().flatMap(token -> client.command(c, "refresh", null, command -> command.put("token", token), false)
                        .thenReturn(token))
                .subscribe(token -> schedule(c, token, exp), e -> {
                    long left = exp * 1000 - System.currentTimeMillis();
                    log.warn("token refresh failed ({}ms before it expires): {}", left, e.toString());
                    if (client.connection() == c && left > 0) {
                        // Try again while the token lasts; after exp the hub closes with 4003 and
                        // the reconnect asks the supplier again.
                        later(c, Math.min(left / 2, ThreadLocalRandom.current().nextLong(500, 2001)), exp);
                    }
                });
    }

    /** The JWT's {@code exp} (seconds since the epoch), or -1 when it has none or is no JWT. */
    static long expiresAt(String jwt) {
        String[] parts = jwt.split("\\.", -1);
        if (parts.length != 3) {
            return -1;
        }
        try {
            byte[] payload = Base64.getUrlDecoder().decode(parts[1]);
            JsonNode exp = HubProtocolClient.JSON
                    .readTree(new String(payload, StandardCharsets.UTF_8))
                    .path("exp");
            return exp.canConvertToLong() ? exp.asLong() : -1;
        } catch (IllegalArgumentException | IOException e) {
            return -1;
        }
    }
}
