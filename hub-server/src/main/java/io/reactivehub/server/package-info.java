/**
 * The hub as a WebSocket server on Reactor Netty: the raw broadcast protocol on {@code /ws},
 * the JSON hub protocol on {@code /hub}, and the frame checks that make both RFC 6455 strict.
 */
@NullMarked
package io.reactivehub.server;

import org.jspecify.annotations.NullMarked;
