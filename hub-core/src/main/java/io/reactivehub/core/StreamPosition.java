package io.reactivehub.core;

import java.util.Objects;

/**
 * A place in a channel's stream: the offset of a message and the epoch of the numbering it belongs
 * to. The epoch changes whenever the channel's history is lost (it expired, or the broker that kept
 * it restarted); offsets of different epochs are unrelated.
 *
 * @param offset the offset of the last message seen (0: none)
 * @param epoch  opaque, compared for equality only
 */
public record StreamPosition(long offset, String epoch) {
    public StreamPosition {
        Objects.requireNonNull(epoch, "epoch");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0: " + offset);
        }
    }
}
