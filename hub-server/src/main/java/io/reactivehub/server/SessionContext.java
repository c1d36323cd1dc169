package io.reactivehub.server;

import io.reactivehub.core.Hub;
import java.util.Set;

/**
 * What every session of one server shares.
 *
 * @param hub      where messages go
 * @param config   the server's settings
 * @param sessions the live sessions (a session adds itself on open and removes itself on close)
 * @param metrics  the server's meters
 * @param rawDeflate one shared compressing codec for raw connections that negotiated permessage-deflate
 * @param hubDeflate the same for hub-protocol connections (one instance each, so that every
 *                   connection shares the one compressed frame of a message)
 */
record SessionContext(Hub hub, ServerConfig config, Set<Session> sessions, HubMetrics metrics,
                      java.util.concurrent.ConcurrentHashMap<String, Integer> connectionsPerIp,
                      io.reactivehub.core.Codec rawDeflate, io.reactivehub.core.Codec hubDeflate) {

    /** Whether {@code ip} may open one more connection (checked before the upgrade). */
    boolean ipHasRoom(String ip) {
        Integer open = connectionsPerIp.get(ip);
        return open == null || open < config.limits().maxConnectionsPerIp();
    }

    /** A session from {@code ip} started; {@link #releaseIp} when it ends. */
    void acquireIp(String ip) {
        connectionsPerIp.merge(ip, 1, Integer::sum);
    }

    void releaseIp(String ip) {
        connectionsPerIp.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
    }
}
