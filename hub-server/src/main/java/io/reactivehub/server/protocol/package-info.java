/**
 * The two protocols: the hub protocol's commands ({@link io.reactivehub.server.protocol.Command},
 * parsed by {@link io.reactivehub.server.protocol.CommandParser}) and its JSON, written in one
 * place for WebSocket and HTTP ({@link io.reactivehub.server.protocol.HubJson}); the raw protocol;
 * and how a failure maps to error codes and statuses ({@link io.reactivehub.server.protocol.Failure}).
 */
@NullMarked
package io.reactivehub.server.protocol;

import org.jspecify.annotations.NullMarked;
