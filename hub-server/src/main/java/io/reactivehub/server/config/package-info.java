/**
 * The server's configuration: {@link io.reactivehub.server.config.ServerConfig} holds every serve
 * option with its one default, {@link io.reactivehub.server.config.ConnectionLimits} the abuse
 * limits.
 */
@NullMarked
package io.reactivehub.server.config;

import org.jspecify.annotations.NullMarked;
