/**
 * The server's HTTP side: admission before an upgrade (limits, origin, token), the routes that
 * upgrade into sessions, the server API for backends, health and metrics.
 */
@NullMarked
package io.reactivehub.server.http;

import org.jspecify.annotations.NullMarked;
