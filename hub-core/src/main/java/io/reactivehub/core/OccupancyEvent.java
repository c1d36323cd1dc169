package io.reactivehub.core;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A channel gained its first subscriber or lost its last one anywhere the hub reaches (every node
 * sharing its Redis), or a user's first connection opened or last one closed. See
 * {@link Hub#occupancy()}.
 *
 * @param type     which transition
 * @param name     the channel's name ({@link Type#OCCUPIED}, {@link Type#VACATED}) or the user's id
 *                 ({@link Type#ONLINE}, {@link Type#OFFLINE})
 * @param node     the node whose subscriber or connection made the transition (for an expiry, the
 *                 node that stopped refreshing its lease)
 * @param at       when the transition was recorded (the recording node's clock)
 * @param expired  true when it was recorded because the node's lease expired (the node died or lost
 *                 Redis for longer than the lease), not because a subscriber or connection ended
 * @param reporter the node that recorded it: the same node, or for an expiry the node that ran the
 *                 sweep. Exactly one node reports each transition, which is what lets each node
 *                 forward only its own reports (the server's webhook) without duplicates
 */
public record OccupancyEvent(Type type, String name, String node, Instant at, boolean expired, String reporter) {

    /** The four transitions. */
    public enum Type {
        /** A channel's first subscriber. */
        OCCUPIED,
        /** A channel's last subscriber left. */
        VACATED,
        /** A user's first connection opened. */
        ONLINE,
        /** A user's last connection closed. */
        OFFLINE;

        /** Whether the event names a channel (else a user). */
        public boolean isChannel() {
            return this == OCCUPIED || this == VACATED;
        }
    }

    public OccupancyEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(reporter, "reporter");
    }

    /** The channel, for {@link Type#OCCUPIED} and {@link Type#VACATED}; else null. */
    public @Nullable String channel() {
        return type.isChannel() ? name : null;
    }

    /** The user, for {@link Type#ONLINE} and {@link Type#OFFLINE}; else null. */
    public @Nullable String user() {
        return type.isChannel() ? null : name;
    }
}
