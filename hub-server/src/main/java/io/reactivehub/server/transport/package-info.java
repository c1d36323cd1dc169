/**
 * A connection's pipeline below the protocols: the per-connection outbound writer, the inbound
 * frame guards, shared permessage-deflate negotiation, and the names of the hub's handlers.
 */
@NullMarked
package io.reactivehub.server.transport;

import org.jspecify.annotations.NullMarked;
