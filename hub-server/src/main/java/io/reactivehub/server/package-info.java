/**
 * The hub as a WebSocket server on Reactor Netty: {@link io.reactivehub.server.HubServer} runs
 * {@code http.HubRoutes} on one port; close codes and metrics live here, configuration in
 * {@code config}, connections in {@code session} (protocols in {@code protocol}, pipeline in
 * {@code transport}), authentication in {@code auth}, the command line in {@code cli}.
 */
@NullMarked
package io.reactivehub.server;

import org.jspecify.annotations.NullMarked;
