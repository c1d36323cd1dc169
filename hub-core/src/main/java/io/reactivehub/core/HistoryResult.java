package io.reactivehub.core;

import java.util.List;
import java.util.Objects;

/**
 * Messages read from a channel's history, oldest first, and where the channel's stream stands.
 *
 * @param top      the offset of the channel's latest message (0: none yet) and its epoch
 * @param messages the messages asked for that the history still holds
 */
public record HistoryResult(StreamPosition top, List<Message> messages) {
    public HistoryResult {
        Objects.requireNonNull(top, "top");
        messages = List.copyOf(messages);
    }
}
