/**
 * One WebSocket connection's life: a {@link io.reactivehub.server.session.Session} (token, publish
 * budget, outbound queue, close), its {@link io.reactivehub.server.session.Subscriptions}, the
 * {@link io.reactivehub.server.session.ProtocolHandler} that gives its frames meaning, and the
 * registry of a server's sessions.
 */
@NullMarked
package io.reactivehub.server.session;

import org.jspecify.annotations.NullMarked;
