package io.reactivehub.core;

/**
 * Why a hub operation failed. The numeric {@link #code()} is what the hub protocol puts in its
 * error frames ({@code {"id":1,"error":{"code":103,"message":"..."}}}); the README lists them.
 */
public enum ErrorCode {
    /** The hub itself failed; the request may be retried. */
    INTERNAL(100),
    /** The frame is not a JSON object, or not a text frame. */
    MALFORMED(101),
    /** The {@code op} field names no known operation. */
    UNKNOWN_OP(102),
    /** A field the operation needs is absent. */
    MISSING_FIELD(103),
    /** A field has the wrong type or value. */
    INVALID_FIELD(104),
    /** The channel name is empty, too long or has characters outside the allowed set. */
    INVALID_CHANNEL(105),
    /** The connection already subscribes to the channel. */
    ALREADY_SUBSCRIBED(106),
    /** The connection does not subscribe to the channel. */
    NOT_SUBSCRIBED(107),
    /** The hub is closed. */
    HUB_CLOSED(109),
    /** A per-connection limit (such as the number of subscriptions) is reached. */
    LIMIT_EXCEEDED(110),
    /**
     * The connection publishes faster than its rate limit (the message was not published), or
     * sends other commands faster than its command budget (the command was not run).
     */
    RATE_LIMITED(111),
    /**
     * The connection's token does not allow this channel for this operation, the application's
     * subscribe or publish hook denied it, or the channel is another user's personal channel.
     */
    PERMISSION_DENIED(112),
    /** A token given to {@code refresh} is invalid, expired, or for another subject. */
    INVALID_TOKEN(113),
    /** The broker (Redis) cannot be reached; nothing was published. Retry later. */
    UNAVAILABLE(114),
    /** The channel does not keep what was asked for (history or presence is off for it). */
    NOT_ENABLED(115),
    /** A request (the server API's body, or its data) is over the maximum message size. */
    TOO_LARGE(116),
    /** Too many failed attempts (wrong API keys) from this address: wait and retry. */
    TOO_MANY_FAILURES(117),
    /**
     * The broker (Redis) did not answer a publish in time: the message may or may not have been
     * published (and delivered). Retrying may publish it twice; check the channel's history first
     * if that matters.
     */
    UNKNOWN_OUTCOME(118),
    /**
     * The application's backend (a hook: connect, refresh, subscribe, publish or rpc) could not be
     * reached, did not answer within the hook timeout, or answered something invalid: nothing was
     * done. Retry later.
     */
    HOOK_FAILED(119),
    /** The application's backend answered an {@code rpc} with an error; the message is the backend's. */
    RPC_ERROR(120);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    /** The stable number carried on the wire. */
    public int code() {
        return code;
    }
}
