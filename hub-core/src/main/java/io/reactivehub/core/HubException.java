package io.reactivehub.core;

import java.util.Objects;

/** A failed hub operation, with the {@link ErrorCode} that tells clients why. */
public class HubException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode errorCode;

    public HubException(ErrorCode errorCode, String message) {
        super(message, null, false, false);
        this.errorCode = Objects.requireNonNull(errorCode, "errorCode");
    }

    public ErrorCode errorCode() {
        return errorCode;
    }
}
