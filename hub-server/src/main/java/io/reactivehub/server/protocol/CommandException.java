package io.reactivehub.server.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;

/** A command that cannot be run as sent, with the {@code id} its error reply must carry. */
public final class CommandException extends HubException {
    private static final long serialVersionUID = 1L;

    private final transient JsonNode id;

    CommandException(JsonNode id, ErrorCode code, String message) {
        super(code, message);
        this.id = id;
    }

    public JsonNode id() {
        return id;
    }
}
