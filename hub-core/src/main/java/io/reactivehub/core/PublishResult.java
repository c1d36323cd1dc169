package io.reactivehub.core;

import java.util.Objects;

/**
 * The outcome of one publish.
 *
 * @param subscribers with the in-process broker, how many subscribers the message was handed to;
 *                    with Redis, how many hub nodes received it (0: nobody listening anywhere)
 * @param offset      the message's position in its channel (1, 2, 3, ...; 0 when it was not kept
 *                    because nobody subscribes and the channel has no history)
 * @param epoch       the epoch of that offset ("" with offset 0)
 */
public record PublishResult(int subscribers, long offset, String epoch) {
    /** Published into a channel that had no subscriber and keeps no history: nothing was delivered or kept. */
    public static final PublishResult NO_SUBSCRIBERS = new PublishResult(0, 0, "");

    public PublishResult {
        Objects.requireNonNull(epoch, "epoch");
    }

    /** Whether at least one subscriber (or node) received the message. */
    public boolean delivered() {
        return subscribers > 0;
    }
}
