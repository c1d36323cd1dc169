package io.reactivehub.server;

/**
 * WebSocket close codes the server sends. RFC 6455 codes for protocol faults; 4000-4999 for hub
 * reasons. The README's table lists each with its cause. (4004 and 4005 are not close codes but
 * codes of a hub-protocol {@code unsubscribed} push: {@code HubJson.RESUBSCRIBE},
 * {@code HubJson.PERMISSION_WITHDRAWN}.)
 */
public final class CloseCodes {
    /** Orderly close (the client's close echoed, or the server's own). */
    public static final int NORMAL = 1000;
    /** The server is shutting down. */
    public static final int GOING_AWAY = 1001;
    /** A frame broke RFC 6455: reserved bits, bad opcode, unmasked, bad close code, bad fragmentation. */
    public static final int PROTOCOL_ERROR = 1002;
    /** A text message (or close reason) was not valid UTF-8. */
    public static final int INVALID_PAYLOAD = 1007;
    /** The client broke a policy: kept publishing over its rate limit, or (raw protocol) used a channel its token does not allow. */
    public static final int POLICY_VIOLATION = 1008;
    /** A message larger than the server's maximum message size. */
    public static final int MESSAGE_TOO_BIG = 1009;
    /**
     * Try again later: the broker (Redis) is unreachable, so a raw-protocol message could not be
     * published; or the application's connect hook (or, at expiry, its refresh hook) failed.
     */
    public static final int TRY_AGAIN_LATER = 1013;
    /** The connection's delivery queue overflowed under the disconnect policy: it read too slowly. */
    public static final int SLOW_CONSUMER = 4001;
    /** The connection sent nothing, not even a pong, for the idle timeout. */
    public static final int IDLE_TIMEOUT = 4002;
    /** The connection's token expired and was not refreshed, or the refresh hook ended the connection. */
    public static final int TOKEN_EXPIRED = 4003;
    /** The application's connect hook refused the connection (unless it chose a code of 4100-4499). */
    public static final int CONNECT_REFUSED = 4006;
    /** The user has the most connections allowed on this node ({@code --max-connections-per-user}). */
    public static final int USER_CONNECTION_LIMIT = 4007;

    /**
     * The server API disconnected the user (its default code; a request may choose any of
     * {@value #SERVER_DISCONNECT_MIN}-{@value #SERVER_DISCONNECT_MAX}).
     */
    public static final int DISCONNECTED_BY_SERVER = 4008;
    /** The range of close codes the server API's disconnect may send. */
    public static final int SERVER_DISCONNECT_MIN = 4000;

    public static final int SERVER_DISCONNECT_MAX = 4999;

    private CloseCodes() {}
}
