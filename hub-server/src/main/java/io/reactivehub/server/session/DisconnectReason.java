package io.reactivehub.server.session;

import io.reactivehub.server.CloseCodes;
import java.util.Objects;

/**
 * Why the server closes a connection: the WebSocket close code and the reason text sent with it
 * (at most 123 bytes of UTF-8). The codes are documented in {@link CloseCodes}.
 */
public record DisconnectReason(int code, String reason) {
    public static final DisconnectReason SHUTDOWN = new DisconnectReason(CloseCodes.GOING_AWAY, "server shutting down");
    public static final DisconnectReason RATE_LIMITED =
            new DisconnectReason(CloseCodes.POLICY_VIOLATION, "publish rate limit exceeded");
    public static final DisconnectReason BROKER_UNAVAILABLE =
            new DisconnectReason(CloseCodes.TRY_AGAIN_LATER, "broker unavailable, try again later");
    public static final DisconnectReason SLOW_CONSUMER =
            new DisconnectReason(CloseCodes.SLOW_CONSUMER, "slow consumer");
    public static final DisconnectReason IDLE_TIMEOUT = new DisconnectReason(CloseCodes.IDLE_TIMEOUT, "idle timeout");
    public static final DisconnectReason TOKEN_EXPIRED =
            new DisconnectReason(CloseCodes.TOKEN_EXPIRED, "token expired");

    public DisconnectReason {
        Objects.requireNonNull(reason, "reason");
    }

    /** 1008: the client used what its token does not allow. */
    public static DisconnectReason policyViolation(String why) {
        return new DisconnectReason(CloseCodes.POLICY_VIOLATION, why);
    }
}
