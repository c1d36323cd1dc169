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

    /**
     * Occupancy of every node sharing this Redis, all under the hash tag {@code {occ}} (one slot, so
     * one script sees every count atomically; on a cluster every occupancy call goes to that slot's
     * master). Keys (see {@link RedisWire}): {@code hub:{occ}:nodes} (sorted set: node id by lease
     * expiry, ms), {@code hub:{occ}:n:<node>} (set: the node's entries), {@code hub:{occ}:c:<channel>}
     * and {@code hub:{occ}:u:<user>} (set: the nodes with a subscriber of the channel, a connection of
     * the user), {@code hub:{occ}:sweep} (the sweeper's lock: a node id). Every key expires unless
     * refreshed (ARGV key ttl, three leases). A transition is an entry's set going from 0 to 1 member
     * or from 1 to 0; the script that makes it publishes its event on {@code hub:{occ}:events} and
     * returns it, so each transition has one event and one reporter.
     *
     * <p>KEYS nodes, this node's set, sweep lock; ARGV op, node, now (ms), lease (ms), key ttl (ms),
     * PUBLISH or SPUBLISH, events channel, key prefix {@code hub:{occ}:}, then by op:
     * {@code add} / {@code remove}: entry ({@code c:<channel>} or {@code u:<user>});
     * {@code lease}: entries whose keys to keep alive (only where this node is still a member);
     * {@code sweep}: lock time (ms), at most this many entries; {@code retire}: nothing.
     * Returns {flag, events}: flag 1 for add/lease means this node had no lease (first start, or it
     * was swept after a pause or Redis lost its data), so it must add its entries again; for sweep,
     * that dead nodes' entries remain. An event is {@code <t><x>|<ms>|<node>|<reporter>|<name>}: t is
     * o(ccupied), v(acated), n (online), f (offline); x is 1 for an expiry.
     */
    static final String OCCUPANCY = """
            local op, node, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
            local lease, keyTtl, prefix = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[8]
            local events = {}
            local function kind(entry, up)
              if string.sub(entry, 1, 1) == 'c' then
                if up then return 'o' else return 'v' end
              end
              if up then return 'n' else return 'f' end
            end
            local function emit(t, expired, owner, entry)
              local body = t .. expired .. '|' .. ARGV[3] .. '|' .. owner .. '|' .. node .. '|' .. string.sub(entry, 3)
              redis.call(ARGV[6], ARGV[7], body)
              table.insert(events, body)
            end
            local function register()
              local absent = redis.call('ZSCORE', KEYS[1], node) == false
              redis.call('ZADD', KEYS[1], now + lease, node)
              redis.call('PEXPIRE', KEYS[1], keyTtl)
              redis.call('PEXPIRE', KEYS[2], keyTtl)
              if absent then return 1 end
              return 0
            end
            if op == 'add' then
              local flag = register()
              local entry = ARGV[9]
              local key = prefix .. entry
              redis.call('SADD', KEYS[2], entry)
              redis.call('PEXPIRE', KEYS[2], keyTtl)
              if redis.call('SADD', key, node) == 1 and redis.call('SCARD', key) == 1 then
                emit(kind(entry, true), '0', node, entry)
              end
              redis.call('PEXPIRE', key, keyTtl)
              return {flag, events}
            elseif op == 'remove' then
              local entry = ARGV[9]
              local key = prefix .. entry
              redis.call('SREM', KEYS[2], entry)
              if redis.call('SREM', key, node) == 1 and redis.call('SCARD', key) == 0 then
                emit(kind(entry, false), '0', node, entry)
              end
              return {0, events}
            elseif op == 'lease' then
              local flag = register()
              for i = 9, #ARGV do
                local key = prefix .. ARGV[i]
                if redis.call('SISMEMBER', key, node) == 1 then
                  redis.call('PEXPIRE', key, keyTtl)
                end
              end
              return {flag, events}
            elseif op == 'sweep' then
              local holder = redis.call('GET', KEYS[3])
              if holder and holder ~= node then
                return {0, events}
              end
              redis.call('SET', KEYS[3], node, 'PX', ARGV[9])
              local budget = tonumber(ARGV[10])
              local more = 0
              local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 16)
              for _, d in ipairs(dead) do
                if budget <= 0 then
                  more = 1
                  break
                end
                local set = prefix .. 'n:' .. d
                local entries = redis.call('SPOP', set, budget)
                budget = budget - #entries
                for _, entry in ipairs(entries) do
                  local key = prefix .. entry
                  if redis.call('SREM', key, d) == 1 and redis.call('SCARD', key) == 0 then
                    emit(kind(entry, false), '1', d, entry)
                  end
                end
                if redis.call('SCARD', set) == 0 then
                  redis.call('ZREM', KEYS[1], d)
                else
                  more = 1
                end
              end
              return {more, events}
            elseif op == 'retire' then
              redis.call('ZREM', KEYS[1], node)
              redis.call('DEL', KEYS[2])
              if redis.call('GET', KEYS[3]) == node then
                redis.call('DEL', KEYS[3])
              end
              return {0, events}
            end
            return redis.error_reply('unknown occupancy op ' .. op)
            """;
}
