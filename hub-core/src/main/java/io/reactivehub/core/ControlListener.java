package io.reactivehub.core;

/**
 * What a server on a hub node adds to the hub: control commands between nodes (sent with
 * {@link Hub#sendControl}) and the node's connection counts for {@link Hub#nodes()}. Registered
 * with {@link Hub#onControl}. Commands arrive on a broker thread (with Redis, a Lettuce event
 * loop): hand real work off, never block.
 */
public interface ControlListener {
    /** A command some node sent to every node, this one included; its bytes are the sender's. */
    void onControl(byte[] command);

    /** Open connections on this node. */
    default long connections() {
        return 0;
    }

    /** Distinct users with a connection on this node. */
    default long users() {
        return 0;
    }
}
