package io.reactivehub.core.internal;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Message;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One channel with local subscribers: a {@code directBestEffort} multicast sink (subscribers
 * without demand are skipped, never waited for; ours always have demand because their bounded
 * queues sit behind the sink). It carries {@link Message}s and {@link ChannelEvent}s. The broker
 * emits into it one item at a time per channel (its contract), so the sink never answers
 * {@code FAIL_NON_SERIALIZED}.
 */
final class ChannelState {
    private static final Logger log = LoggerFactory.getLogger(ChannelState.class);

    final ChannelName name;
    final Sinks.Many<Object> sink = Sinks.unsafe().many().multicast().directBestEffort();
    /** Guarded by the registry's map entry (ConcurrentHashMap.compute). */
    int subscribers;
    /** Completes when the broker delivers this channel to this node; guarded like subscribers. */
    @Nullable
    Mono<Void> ready;
    /** The broker could not subscribe (set from the broker's thread). */
    volatile boolean readyFailed;

    ChannelState(ChannelName name) {
        this.name = name;
    }

    /** Hands a message or an event to every listener; returns how many there were. */
    int emit(Object item) {
        Sinks.EmitResult emitted = sink.tryEmitNext(item);
        switch (emitted) {
            case OK -> {
                return sink.currentSubscriberCount();
            }
            case FAIL_ZERO_SUBSCRIBER, FAIL_TERMINATED, FAIL_CANCELLED -> {
                return 0;
            }
            default -> {
                // FAIL_OVERFLOW / FAIL_NON_SERIALIZED cannot happen by construction; say so loudly if they do.
                log.error("channel {}: emission of {} failed with {}", name, item, emitted);
                return 0;
            }
        }
    }

    void close() {
        sink.tryEmitComplete();
    }
}
