/**
 * Scale-out on Redis: {@link io.reactivehub.core.redis.RedisBroker} (numbering, history, pub/sub)
 * and {@link io.reactivehub.core.redis.RedisPresenceManager} over one node's shared
 * {@code RedisConnections}, with the data layout in {@code RedisWire} and {@code RedisScripts}.
 */
@NullMarked
package io.reactivehub.core.redis;

import org.jspecify.annotations.NullMarked;
