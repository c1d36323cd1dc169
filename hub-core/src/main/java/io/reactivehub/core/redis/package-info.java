/** The Redis broker: several hub nodes sharing channels, history and presence through Redis. */
@NullMarked
package io.reactivehub.core.redis;

import org.jspecify.annotations.NullMarked;
