package io.reactivehub.core;

/** Ends a subscription whose queue overflowed under {@link SlowConsumerPolicy#DISCONNECT}. */
public final class SlowConsumerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SlowConsumerException(String message) {
        super(message, null, false, false);
    }
}
