package io.reactivehub.server.config;

import io.reactivehub.core.Durations;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Where and how the server POSTs occupancy events ({@code --webhook}). Immutable.
 *
 * @param url         http:// or https:// URL receiving a JSON POST per batch of events
 * @param secret      signs each body: {@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>};
 *                    at least 16 bytes
 * @param maxPending  events waiting to be sent; past it the oldest waiting one is dropped and counted
 *                    ({@value #DEFAULT_MAX_PENDING})
 * @param maxAttempts attempts per batch (the first and its retries) before the batch is dropped and
 *                    counted ({@value #DEFAULT_MAX_ATTEMPTS})
 * @param timeout     how long one POST may take, connecting included ({@value #DEFAULT_TIMEOUT})
 */
public record WebhookConfig(URI url, String secret, int maxPending, int maxAttempts, Duration timeout) {
    public static final int DEFAULT_MAX_PENDING = 10_000;
    public static final int DEFAULT_MAX_ATTEMPTS = 8;
    public static final String DEFAULT_TIMEOUT = "10s";
    /** Events in one POST at most. */
    public static final int MAX_BATCH = 100;
    /** The first retry waits this long; each next one twice as long, up to {@link #MAX_BACKOFF}. */
    public static final Duration FIRST_BACKOFF = Duration.ofMillis(200);

    public static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    public static final int MIN_SECRET_BYTES = 16;

    public WebhookConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(timeout, "timeout");
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
            throw new IllegalArgumentException("the webhook URL must be http:// or https:// with a host");
        }
        if (secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the webhook secret must have at least " + MIN_SECRET_BYTES + " bytes");
        }
        if (maxPending < 1) {
            throw new IllegalArgumentException("the webhook's maximum pending events must be at least 1");
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("the webhook's attempts must be at least 1");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(
                    "the webhook timeout must be positive, was " + Durations.format(timeout));
        }
    }

    /** A webhook with the default limits. */
    public static WebhookConfig of(URI url, String secret) {
        return new WebhookConfig(
                url, secret, DEFAULT_MAX_PENDING, DEFAULT_MAX_ATTEMPTS, Durations.parse(DEFAULT_TIMEOUT));
    }

    /** Never the secret, and no user info of the URL. */
    @Override
    public String toString() {
        return "WebhookConfig[url=" + url.getScheme() + "://" + url.getHost()
                + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + url.getRawPath() + ", maxPending=" + maxPending + ", maxAttempts=" + maxAttempts + ", timeout="
                + Durations.format(timeout) + "]";
    }
}
