/** A reactive WebSocket client for the hub (or any WebSocket server), with the hub's heartbeat. */
@NullMarked
package io.reactivehub.core.client;

import org.jspecify.annotations.NullMarked;
