package io.reactivehub.core.redis;

/**
 * The Lua scripts that make each broker operation atomic in Redis. Every key of one channel shares
 * the hash tag {@code {channel}}, so a script touches one slot and runs unchanged on Redis Cluster.
 *
 * <p>Keys of channel {@code c} ({@link RedisWire} names them): {@code hub:{c}:m} (hash: {@code e}
 * epoch, {@code o} last offset), {@code hub:{c}:h} (stream: the history, entry id
 * {@code 0-<offset>}, fields {@code p} payload and {@code t} type code), {@code hub:{c}:p} (hash:
 * client id → user) and {@code hub:{c}:z} (sorted set: client id by expiry time, ms). Pub/sub
 * channel: {@code hub:{c}}; a message on it is {@code <type><offset>:<epoch>:<payload>} (type
 * {@code 0} text, {@code 1} binary, {@code 2} JSON); joins and leaves are published by
 * {@link #ANNOUNCE}.
 */
final class RedisScripts {
    private RedisScripts() {}

    /**
     * KEYS meta, stream; ARGV payload, type, history size, history ttl (s), new epoch, meta ttl (s),
     * PUBLISH or SPUBLISH, pub/sub channel. Returns {offset, epoch, receivers}.
     *
     * <p>State is left only for channels with history or subscribers: a channel without history
     * whose numbering this publish started, and that no node receives, is forgotten at once. The
     * meta key's TTL only grows here (a subscribed node may have lengthened it, see {@link #TOUCH}).
     */
    static final String PUBLISH = """
            local epoch = redis.call('HGET', KEYS[1], 'e')
            local created = false
            if not epoch then
              epoch = ARGV[5]
              created = true
              redis.call('DEL', KEYS[2])
              redis.call('HSET', KEYS[1], 'e', epoch)
            end
            local offset = redis.call('HINCRBY', KEYS[1], 'o', 1)
            local keep = tonumber(ARGV[3]) > 0
            if keep then
              redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], '0-' .. offset, 'p', ARGV[1], 't', ARGV[2])
              redis.call('EXPIRE', KEYS[2], ARGV[4])
            end
            local n = redis.call(ARGV[7], ARGV[8], ARGV[2] .. offset .. ':' .. epoch .. ':' .. ARGV[1])
            if created and not keep and n == 0 then
              redis.call('DEL', KEYS[1])
            elseif redis.call('TTL', KEYS[1]) < tonumber(ARGV[6]) then
              redis.call('EXPIRE', KEYS[1], ARGV[6])
            end
            return {offset, epoch, n}
            """;

    /**
     * KEYS meta; ARGV lease (s). A node subscribed to the channel keeps its numbering alive: the
     * meta key's TTL is raised to the lease when shorter (never created, never shortened).
     */
    static final String TOUCH = """
            local ttl = redis.call('TTL', KEYS[1])
            if ttl >= 0 and ttl < tonumber(ARGV[1]) then
              redis.call('EXPIRE', KEYS[1], ARGV[1])
            end
            return ttl
            """;

    /**
     * KEYS meta, stream; ARGV since ('-' for the latest), limit, new epoch, meta ttl (s).
     * Returns {top offset, epoch, entries}; creates the epoch if the channel has none.
     */
    static final String HISTORY = """
            local epoch = redis.call('HGET', KEYS[1], 'e')
            if not epoch then
              epoch = ARGV[3]
              redis.call('DEL', KEYS[2])
              redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
            end
            if redis.call('TTL', KEYS[1]) < tonumber(ARGV[4]) then
              redis.call('EXPIRE', KEYS[1], ARGV[4])
            end
            local top = tonumber(redis.call('HGET', KEYS[1], 'o') or '0')
            local entries = {}
            local limit = tonumber(ARGV[2])
            if limit > 0 then
              if ARGV[1] == '-' then
                entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', limit)
              else
                entries = redis.call('XRANGE', KEYS[2], '(0-' .. ARGV[1], '+', 'COUNT', limit)
              end
            end
            return {top, epoch, entries}
            """;

    /** KEYS presence hash, presence zset; ARGV client, user, expires at (ms), ttl (s). Adds or refreshes. */
    static final String JOIN = """
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
            redis.call('EXPIRE', KEYS[1], ARGV[4])
            redis.call('EXPIRE', KEYS[2], ARGV[4])
            return 1
            """;

    /** KEYS presence hash, presence zset; ARGV client. Returns 1 if the client was there. */
    static final String LEAVE = """
            local removed = redis.call('HDEL', KEYS[1], ARGV[1])
            redis.call('ZREM', KEYS[2], ARGV[1])
            return removed
            """;

    /**
     * KEYS any key of the channel (routes the call to the channel's slot); ARGV PUBLISH or
     * SPUBLISH, pub/sub channel, body. Returns the number of receivers.
     */
    static final String ANNOUNCE = """
            return redis.call(ARGV[1], ARGV[2], ARGV[3])
            """;

    /** KEYS presence hash, presence zset; ARGV now (ms). Drops expired entries, returns the rest (HGETALL). */
    static final String PRESENCE = """
            local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
            for _, client in ipairs(expired) do
              redis.call('HDEL', KEYS[1], client)
            end
            redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
            return redis.call('HGETALL', KEYS[1])
            """;
}
