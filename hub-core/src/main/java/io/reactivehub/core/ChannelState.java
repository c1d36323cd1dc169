package io.reactivehub.core;

import java.util.Queue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * One live channel: a {@code directBestEffort} multicast sink (subscribers without demand are
 * skipped, never waited for; our subscribers always have demand because their bounded queues sit
 * behind the sink) and a lock-free emission queue. Publishers enqueue; whichever thread finds the
 * channel idle drains the queue, assigns offsets and emits, so the sink is only ever called by one
 * thread at a time and never answers {@code FAIL_NON_SERIALIZED}.
 */
final class ChannelState {
    private static final Logger log = LoggerFactory.getLogger(ChannelState.class);
    private static final AtomicIntegerFieldUpdater<ChannelState> WIP =
            AtomicIntegerFieldUpdater.newUpdater(ChannelState.class, "wip");

    final ChannelName name;
    final Sinks.Many<Message> sink = Sinks.unsafe().many().multicast().directBestEffort();
    /** Guarded by the registry's map entry (ConcurrentHashMap.compute). */
    int subscribers;

    private final Queue<Pending> pending = Queues.<Pending>unboundedMultiproducer().get();
    private volatile int wip;
    private long lastOffset;

    ChannelState(ChannelName name) {
        this.name = name;
    }

    void publish(byte[] payload, PayloadType type, @Nullable MonoSink<PublishResult> result) {
        pending.offer(new Pending(payload, type, result));
        if (WIP.getAndIncrement(this) != 0) {
            return;
        }
        int missed = 1;
        do {
            Pending p;
            while ((p = pending.poll()) != null) {
                emit(p);
            }
            missed = WIP.addAndGet(this, -missed);
        } while (missed != 0);
    }

    private void emit(Pending p) {
        long offset = ++lastOffset;
        Message message = new Message(name, offset, p.payload, p.type);
        PublishResult outcome;
        Sinks.EmitResult emitted = sink.tryEmitNext(message);
        switch (emitted) {
            case OK -> outcome = new PublishResult(sink.currentSubscriberCount(), offset);
            case FAIL_ZERO_SUBSCRIBER, FAIL_TERMINATED, FAIL_CANCELLED -> outcome = new PublishResult(0, offset);
            default -> {
                // FAIL_OVERFLOW / FAIL_NON_SERIALIZED cannot happen by construction; say so loudly if they do.
                log.error("channel {}: emission of offset {} failed with {}", name, offset, emitted);
                outcome = new PublishResult(0, offset);
            }
        }
        if (p.result != null) {
            p.result.success(outcome);
        }
    }

    void close() {
        sink.tryEmitComplete();
    }

    private record Pending(byte[] payload, PayloadType type, @Nullable MonoSink<PublishResult> result) {
    }
}
