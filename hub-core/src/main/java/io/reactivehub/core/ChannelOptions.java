package io.reactivehub.core;

import java.time.Duration;
import java.util.Objects;

/**
 * What a channel keeps besides live fan-out.
 *
 * @param historySize how many recent messages the channel keeps for {@code history} and recovery
 *                    (0: none; offsets and epoch are still kept, so a client that missed nothing
 *                    recovers)
 * @param historyTtl  how long a message stays in the history
 * @param presence    whether the channel tracks who is subscribed
 * @param joinLeave   whether subscribers that ask for it are told when a client joins or leaves
 *                    (needs {@code presence})
 */
public record ChannelOptions(int historySize, Duration historyTtl, boolean presence, boolean joinLeave) {
    /** No history, no presence: live fan-out only. */
    public static final ChannelOptions DEFAULT = new ChannelOptions(0, Duration.ofMinutes(5), false, false);

    public ChannelOptions {
        Objects.requireNonNull(historyTtl, "historyTtl");
        if (historySize < 0) {
            throw new IllegalArgumentException("historySize must be >= 0: " + historySize);
        }
        if (historyTtl.isNegative() || historyTtl.isZero()) {
            throw new IllegalArgumentException("historyTtl must be positive: " + historyTtl);
        }
        if (joinLeave && !presence) {
            throw new IllegalArgumentException("join-leave needs presence");
        }
    }

    public boolean hasHistory() {
        return historySize > 0;
    }
}
