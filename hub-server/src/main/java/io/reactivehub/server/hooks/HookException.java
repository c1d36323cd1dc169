package io.reactivehub.server.hooks;

import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;
import org.jspecify.annotations.Nullable;

/**
 * A hook that failed to decide: its backend could not be reached, did not answer within the hook
 * timeout, or answered something invalid. Clients get error {@link ErrorCode#HOOK_FAILED} (119),
 * or close code 1013 when it was the connect hook; nothing was done. The message is safe to show
 * the client (it never carries the backend's address or its answer).
 */
public final class HookException extends HubException {
    private static final long serialVersionUID = 1L;

    private final transient @Nullable Throwable failure;

    public HookException(String message) {
        this(message, null);
    }

    /** @param failure what went wrong underneath, for the log only; or null */
    public HookException(String message, @Nullable Throwable failure) {
        super(ErrorCode.HOOK_FAILED, message);
        this.failure = failure;
    }

    /** What went wrong underneath (a connection refused, say), for the log; or null. */
    public @Nullable Throwable failure() {
        return failure;
    }
}
