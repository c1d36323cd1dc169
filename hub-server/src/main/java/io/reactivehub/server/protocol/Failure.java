package io.reactivehub.server.protocol;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;
import io.reactivehub.server.HubMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A failed hub operation as every protocol reports it: its {@link ErrorCode} (100 for the
 * unexpected), its message and its HTTP status. {@link #of} is the one place a failure is
 * counted and, when it is the hub's own fault, logged. What the client is told never carries an
 * exception's own text (internal addresses, class names): the hub's failures and an unreachable
 * broker get a fixed message, the details stay in the log.
 */
public record Failure(ErrorCode code, String message) {
    private static final Logger log = LoggerFactory.getLogger(Failure.class);
    /** What a client is told of the hub's own failure (100). */
    public static final String INTERNAL_MESSAGE = "internal error";
    /** What a client is told when Redis cannot be reached (114). */
    public static final String UNAVAILABLE_MESSAGE = "Redis unavailable: nothing was done; retry";

    /**
     * Classifies a failure: counted in the metrics, logged at error level if unexpected.
     *
     * @param what the operation and who asked, for the log (e.g. "session 7: publish to room")
     */
    public static Failure of(Throwable e, String what, HubMetrics metrics) {
        ErrorCode code = e instanceof HubException he ? he.errorCode() : ErrorCode.INTERNAL;
        metrics.failed(code);
        if (code == ErrorCode.INTERNAL) {
            log.error("{} failed", what, e);
            return new Failure(code, INTERNAL_MESSAGE);
        }
        if (code == ErrorCode.UNAVAILABLE) {
            // The broker logs the cause once (WARN) until it is back; here only at debug, per operation.
            log.debug("{} failed: {}", what, e.getMessage());
            return new Failure(code, UNAVAILABLE_MESSAGE);
        }
        return new Failure(code, String.valueOf(e.getMessage()));
    }

    /**
     * 503 broker unavailable or hub closed, 504 the broker did not answer in time (outcome unknown),
     * 404 not enabled, 413 too large, 429 too many failures, 500 the hub's own failure, 400 bad input.
     */
    public HttpResponseStatus httpStatus() {
        return switch (code) {
            case UNAVAILABLE, HUB_CLOSED -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            case UNKNOWN_OUTCOME -> HttpResponseStatus.GATEWAY_TIMEOUT;
            case NOT_ENABLED -> HttpResponseStatus.NOT_FOUND;
            case TOO_LARGE -> HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
            case TOO_MANY_FAILURES -> HttpResponseStatus.TOO_MANY_REQUESTS;
            case INTERNAL -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
            default -> HttpResponseStatus.BAD_REQUEST;
        };
    }
}
