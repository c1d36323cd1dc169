package io.reactivehub.core;

import java.util.Objects;

/**
 * How a subscription started: where the channel's stream stood, and whether the missed messages
 * asked for were recovered.
 *
 * @param position  the channel's latest offset and its epoch when the subscription began (after
 *                  any recovered messages); a client keeps it to recover later
 * @param recovered true when a recovery was asked for and every missed message is delivered
 *                  (before any live one, without gap or duplicate); false when none was asked for
 *                  or the missed messages are gone (epoch changed, or older than the history)
 */
public record SubscribeResult(StreamPosition position, boolean recovered) {
    public SubscribeResult {
        Objects.requireNonNull(position, "position");
    }
}
