package io.reactivehub.core.redis;

import io.lettuce.core.ScriptOutputType;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.OccupancyEvent;
import io.reactivehub.core.broker.OccupancyEvents;
import io.reactivehub.core.broker.OccupancyTracker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Occupancy across every node sharing one Redis ({@link RedisScripts#OCCUPANCY}): per channel and
 * per user the set of nodes that have it, each node's entries under its lease. Every transition is
 * decided and published by one script, so it has one event and one reporter cluster-wide.
 *
 * <p>Leases: a node re-registers every lease/3 (and keeps its entries' keys alive); any node may
 * sweep, every lease/6, under a lock in Redis that its holder renews while it lives: the sweep
 * removes the entries of nodes whose lease ended and reports the resulting vacated and offline
 * events (marked {@code expired}). A node that finds itself without a lease (it was swept after a
 * pause, or Redis lost its data) adds its entries again, reporting what became occupied again.
 *
 * <p>Ordering: every command about one entry is sent while that entry's slot in {@link #entries}
 * is held, and all go through one script on one connection, so Redis sees them in the order the
 * hub made them. Made by {@link RedisBroker#occupancyTracker()}. Thread-safe.
 */
final class RedisOccupancyTracker implements OccupancyTracker {
    private static final Logger log = LoggerFactory.getLogger(RedisOccupancyTracker.class);
    /** Entries whose keys one lease call keeps alive. */
    private static final int LEASE_BATCH = 256;
    /** Entries of dead nodes one sweep call removes (a script stays short). */
    private static final int SWEEP_BUDGET = 512;

    private final RedisConnections redis;
    private final Duration lease;
    private final String node = OccupancyEvents.newNodeId();
    private final String[] keys = RedisWire.occupancyKeys(node);
    private final OccupancyEvents events = new OccupancyEvents();
    /** This node's entries ({@code c:<channel>}, {@code u:<user>}). */
    private final ConcurrentHashMap<String, Boolean> entries = new ConcurrentHashMap<>();
    /** Entries whose removal failed (Redis unreachable): sent again by the next lease. */
    private final Set<String> unremoved = ConcurrentHashMap.newKeySet();

    private volatile boolean reassert;
    private final Disposable.Composite timers = Disposables.composite();
    private final AtomicBoolean disposed = new AtomicBoolean();

    RedisOccupancyTracker(RedisConnections redis, Duration lease) {
        this.redis = redis;
        this.lease = lease;
    }

    /** Registers this node and starts its lease and the sweeper (when its broker starts). */
    void start() {
        long every = Math.max(200, lease.toMillis() / 3);
        long sweepEvery = sweepEvery();
        renew();
        timers.add(Schedulers.parallel().schedulePeriodically(this::renew, every, every, TimeUnit.MILLISECONDS));
        timers.add(
                Schedulers.parallel().schedulePeriodically(this::sweep, sweepEvery, sweepEvery, TimeUnit.MILLISECONDS));
        log.info("occupancy: node {}, lease {} ms, sweep every {} ms", node, lease.toMillis(), sweepEvery);
    }

    private long sweepEvery() {
        return Math.max(100, lease.toMillis() / 6);
    }

    @Override
    public String node() {
        return node;
    }

    @Override
    public void occupy(ChannelName channel) {
        add("c:" + channel.value());
    }

    @Override
    public void vacate(ChannelName channel) {
        remove("c:" + channel.value());
    }

    @Override
    public void online(String user) {
        add("u:" + user);
    }

    @Override
    public void offline(String user) {
        remove("u:" + user);
    }

    @Override
    public Flux<OccupancyEvent> events() {
        return events.flux();
    }

    private void add(String entry) {
        if (disposed.get()) {
            return;
        }
        unremoved.remove(entry);
        entries.compute(entry, (k, v) -> {
            send("add", entry).subscribe(null, e -> {
                reassert = true; // the next lease adds every entry again
                log.debug("occupancy of {} not recorded: {}", node, e.toString());
            });
            return Boolean.TRUE;
        });
    }

    private void remove(String entry) {
        entries.compute(entry, (k, v) -> {
            send("remove", entry).subscribe(null, e -> unremoved.add(entry));
            return null;
        });
    }

    /** Runs the script now (call it while the entry's slot is held); handles its reply. */
    private Mono<List<Object>> send(String op, String... args) {
        byte[][] argv = new byte[8 + args.length][];
        argv[0] = RedisWire.ascii(op);
        argv[1] = RedisWire.ascii(node);
        argv[2] = RedisWire.ascii(System.currentTimeMillis());
        argv[3] = RedisWire.ascii(lease.toMillis());
        argv[4] = RedisWire.ascii(3 * lease.toMillis());
        argv[5] = redis.publishCommand();
        argv[6] = RedisWire.ascii(RedisWire.OCCUPANCY_EVENTS);
        argv[7] = RedisWire.ascii(RedisWire.OCCUPANCY_PREFIX);
        for (int i = 0; i < args.length; i++) {
            argv[8 + i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        Mono<List<Object>> reply = redis.<List<Object>>eval(RedisScripts.OCCUPANCY, ScriptOutputType.MULTI, keys, argv)
                .doOnNext(this::reported)
                .doOnNext(answer -> {
                    // A flag of 1 from add: this node had no lease (swept after a pause, or Redis lost it).
                    if (op.equals("add") && (Long) answer.get(0) == 1 && entries.size() > 1) {
                        reassert = true; // the others were swept too: the next lease adds them again
                    }
                })
                .cache();
        reply.subscribe(null, e -> {}); // sent now; callers add their own error handling
        return reply;
    }

    /** The events a script of this node made: this node reports them. */
    private void reported(List<Object> reply) {
        for (Object body : (List<?>) reply.get(1)) {
            events.emit(RedisWire.occupancyEvent((byte[]) body));
        }
    }

    /** An event published by a script (any node's); this node's own were handled from its replies. */
    void onPubSub(byte[] body) {
        OccupancyEvent event;
        try {
            event = RedisWire.occupancyEvent(body);
        } catch (RuntimeException e) {
            log.error("dropping a malformed occupancy event ({} bytes)", body.length, e);
            return;
        }
        if (!event.reporter().equals(node)) {
            events.emit(event);
        }
    }

    /** Renews the lease and the entries' keys; adds every entry again when Redis forgot this node. */
    private void renew() {
        if (disposed.get()) {
            return;
        }
        for (String entry : unremoved) {
            if (unremoved.remove(entry)) {
                entries.compute(entry, (k, v) -> {
                    if (v == null) {
                        send("remove", entry).subscribe(null, e -> unremoved.add(entry));
                    }
                    return v;
                });
            }
        }
        List<String> batch = new ArrayList<>(LEASE_BATCH);
        List<Mono<List<Object>>> calls = new ArrayList<>();
        for (String entry : entries.keySet()) {
            batch.add(entry);
            if (batch.size() == LEASE_BATCH) {
                calls.add(send("lease", batch.toArray(String[]::new)));
                batch.clear();
            }
        }
        if (!batch.isEmpty() || calls.isEmpty()) {
            calls.add(send("lease", batch.toArray(String[]::new)));
        }
        Flux.merge(calls)
                .any(reply -> (Long) reply.get(0) == 1)
                .subscribe(
                        absent -> {
                            if (absent || reassert) {
                                reassert = false;
                                addAll();
                            }
                        },
                        e -> log.debug("occupancy lease of {} not renewed: {}", node, e.toString()));
    }

    /** Adds every entry again, each while its slot is held (so a concurrent remove stays last). */
    private void addAll() {
        for (String entry : entries.keySet()) {
            entries.computeIfPresent(entry, (k, v) -> {
                send("add", entry).subscribe(null, e -> reassert = true);
                return v;
            });
        }
    }

    /** Removes the entries of nodes whose lease ended, if this node holds (or gets) the sweeper's lock. */
    private void sweep() {
        if (disposed.get()) {
            return;
        }
        send("sweep", Long.toString(3 * sweepEvery()), Integer.toString(SWEEP_BUDGET))
                .subscribe(
                        reply -> {
                            if ((Long) reply.get(0) == 1) {
                                sweep(); // more dead entries: this node holds the lock, go on
                            }
                        },
                        e -> log.debug("occupancy sweep not run: {}", e.toString()));
    }

    /**
     * Stops the lease and the sweeper and removes this node's entries (their vacated and offline
     * events are reported), waiting up to about two seconds, then completes the events.
     */
    @Override
    public void dispose() {
        if (!disposed.compareAndSet(false, true)) {
            return;
        }
        timers.dispose();
        List<Mono<List<Object>>> leaving = new ArrayList<>();
        for (String entry : entries.keySet()) {
            entries.computeIfPresent(entry, (k, v) -> {
                leaving.add(send("remove", entry).onErrorResume(e -> Mono.empty()));
                return null;
            });
        }
        leaving.add(send("retire").onErrorResume(e -> Mono.empty()));
        try {
            Mono.when(leaving).block(Duration.ofSeconds(2));
        } catch (RuntimeException e) {
            log.debug("occupancy not cleared on shutdown: {}", e.toString());
        }
        events.complete();
    }

    @Override
    public boolean isDisposed() {
        return disposed.get();
    }
}
