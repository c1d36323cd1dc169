package io.reactivehub.server.hooks;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The refresh hook's answer.
 *
 * @param expiresAt the connection's new expiry; null ends the connection (closed with 4003)
 */
public record RefreshResult(@Nullable Instant expiresAt) {
    /** Extends the connection until {@code expiresAt}. */
    public static RefreshResult extend(Instant expiresAt) {
        return new RefreshResult(expiresAt);
    }

    /** Ends the connection: closed with 4003. */
    public static RefreshResult expire() {
        return new RefreshResult(null);
    }
}
