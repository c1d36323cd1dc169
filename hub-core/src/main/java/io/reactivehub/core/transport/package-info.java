/** Netty-level pieces shared by the server and the clients: heartbeat and dead-peer detection. */
@NullMarked
package io.reactivehub.core.transport;

import org.jspecify.annotations.NullMarked;
