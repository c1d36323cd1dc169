package io.reactivehub.server.hooks;

import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;

/**
 * A hook that failed to decide: its backend could not be reached, did not answer within the hook
 * timeout, or answered something invalid. Clients get error {@link ErrorCode#HOOK_FAILED} (119),
 * or close code 1013 when it was the connect hook; nothing was done. The message is safe to show
 * the client (it never carries the backend's address or its answer).
 */
public final class HookException extends HubException {
    private static final long serialVersionUID = 1L;

    public HookException(String message) {
        super(ErrorCode.HOOK_FAILED, message);
    }
}
