package io.reactivehub.core.broker;

import io.reactivehub.core.OccupancyEvent;
import java.security.SecureRandom;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * The hot stream behind {@link OccupancyTracker#events()}, for trackers to emit into from any
 * thread. Emission is serialized by this object's monitor (occupancy changes are rare next to
 * messages; nothing spins), and each subscriber gets a buffer of its own, so a slow one drops its
 * own oldest events and delays nobody. Thread-safe.
 */
public final class OccupancyEvents {
    /** Events one subscriber of {@link #flux()} may fall behind before its oldest are dropped. */
    public static final int MAX_BUFFERED = 10_000;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Sinks.Many<OccupancyEvent> sink =
            Sinks.unsafe().many().multicast().directBestEffort();
    private final LongAdder dropped = new LongAdder();

    /** A new node id: 10 random base-36 characters. */
    public static String newNodeId() {
        StringBuilder id = new StringBuilder(10);
        for (int i = 0; i < 10; i++) {
            id.append(Character.forDigit(RANDOM.nextInt(36), 36));
        }
        return id.toString();
    }

    /** Hands an event to every current subscriber (none: it is gone). */
    public synchronized void emit(OccupancyEvent event) {
        // Each subscriber buffers (onBackpressureBuffer below asks for everything), so the only
        // failures left are "no subscriber" and "terminated": nothing to deliver either way.
        sink.tryEmitNext(event);
    }

    /** Completes every subscriber. */
    public synchronized void complete() {
        sink.tryEmitComplete();
    }

    /** Events dropped by subscribers that fell {@link #MAX_BUFFERED} behind. */
    public long dropped() {
        return dropped.sum();
    }

    public Flux<OccupancyEvent> flux() {
        return sink.asFlux()
                .onBackpressureBuffer(MAX_BUFFERED, e -> dropped.increment(), BufferOverflowStrategy.DROP_OLDEST);
    }
}
