package io.reactivehub.server.session;

import io.reactivehub.server.CloseCodes;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Why the server closes a connection: the WebSocket close code and the reason text sent with it
 * (at most 123 bytes of UTF-8: a longer one is cut at a character boundary). The codes are documented in {@link CloseCodes}.
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
    public static final DisconnectReason CONNECTION_EXPIRED =
            new DisconnectReason(CloseCodes.TOKEN_EXPIRED, "connection expired");
    public static final DisconnectReason CONNECT_HOOK_FAILED =
            new DisconnectReason(CloseCodes.TRY_AGAIN_LATER, "connect hook unavailable, try again later");
    public static final DisconnectReason REFRESH_HOOK_FAILED =
            new DisconnectReason(CloseCodes.TRY_AGAIN_LATER, "refresh hook unavailable, reconnect later");
    public static final DisconnectReason USER_CONNECTION_LIMIT =
            new DisconnectReason(CloseCodes.USER_CONNECTION_LIMIT, "too many connections for this user");

    /** A close frame's payload is at most 125 bytes: the code's 2 and the reason's 123. */
    private static final int MAX_REASON_BYTES = 123;

    public DisconnectReason {
        Objects.requireNonNull(reason, "reason");
        reason = truncated(reason);
    }

    /** The longest prefix of {@code reason} that fits in 123 bytes of UTF-8, whole characters only. */
    private static String truncated(String reason) {
        if (reason.getBytes(StandardCharsets.UTF_8).length <= MAX_REASON_BYTES) {
            return reason;
        }
        int bytes = 0;
        int end = 0;
        while (end < reason.length()) {
            int cp = reason.codePointAt(end);
            int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + size > MAX_REASON_BYTES) {
                break;
            }
            bytes += size;
            end += Character.charCount(cp);
        }
        return reason.substring(0, end);
    }

    /** 1008: the client used what its token does not allow. */
    public static DisconnectReason policyViolation(String why) {
        return new DisconnectReason(CloseCodes.POLICY_VIOLATION, why);
    }
}
