package io.reactivehub.server.session;

import io.reactivehub.core.Hub;
import io.reactivehub.server.HubMetrics;
import io.reactivehub.server.config.ServerConfig;

/**
 * What every session of one server shares.
 *
 * @param hub      where messages go
 * @param config   the server's settings
 * @param sessions the open sessions (a session adds itself on open and removes itself on close)
 * @param metrics  the server's meters
 */
public record SessionContext(Hub hub, ServerConfig config, SessionRegistry sessions, HubMetrics metrics) {}
