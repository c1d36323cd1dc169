package io.reactivehub.core;

import java.time.Duration;
import java.util.Objects;

/**
 * One hub node as {@link Hub#nodes()} reports it. With Redis each node publishes its own under a
 * key that expires unless refreshed, so a node that died drops out within that TTL.
 *
 * @param id          the node's id, random per process start
 * @param version     the hub's version ({@code dev} when not run from a released jar)
 * @param connections open connections (0 for a hub without a server)
 * @param users       distinct users among them
 * @param channels    channels with local subscribers
 * @param uptime      since the node started
 */
public record NodeInfo(String id, String version, long connections, long users, int channels, Duration uptime) {
    public NodeInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(uptime, "uptime");
    }

    /** This build's version, from the jar's manifest, or {@code dev}. */
    public static String currentVersion() {
        String v = Hub.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
