package io.reactivehub.core.internal;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Message;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
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
 *
 * <p>The sink's subscribers: one per listener without an executor (called on the emitting
 * thread), and one {@link LoopFanout} per executor for the listeners that name one (a server's
 * connections, grouped by event loop). Membership changes under the registry's map entry.
 */
final class ChannelState {
    private static final Logger log = LoggerFactory.getLogger(ChannelState.class);

    final ChannelName name;
    private final int groupBacklog;
    final Sinks.Many<Object> sink = Sinks.unsafe().many().multicast().directBestEffort();
    /** Listeners, grouped or not; written under the registry's map entry (ConcurrentHashMap.compute). */
    volatile int subscribers;
    /** The groups by executor; guarded by the registry's map entry. */
    private final Map<Executor, LoopFanout> loops = new HashMap<>();
    /** Completes when the broker delivers this channel to this node; guarded like subscribers. */
    @Nullable
    Mono<Void> ready;
    /** The broker could not subscribe (set from the broker's thread). */
    volatile boolean readyFailed;

    ChannelState(ChannelName name, int groupBacklog) {
        this.name = name;
        this.groupBacklog = groupBacklog;
    }

    /** Adds a listener: from now on it gets every item. Under the registry's map entry. */
    void add(ChannelRegistry.Attachment attachment) {
        Executor executor = attachment.executor();
        if (executor == null) {
            // Subscribing to a directBestEffort sink registers synchronously: delivered from now on.
            sink.asFlux().subscribe(attachment.direct());
        } else {
            loops.computeIfAbsent(executor, e -> {
                        LoopFanout group = new LoopFanout(name, e, groupBacklog);
                        sink.asFlux().subscribe(group);
                        return group;
                    })
                    .add(attachment);
        }
        subscribers++;
    }

    /** Removes a listener added before. Under the registry's map entry. */
    void remove(ChannelRegistry.Attachment attachment) {
        Executor executor = attachment.executor();
        if (executor == null) {
            attachment.direct().cancel();
        } else {
            LoopFanout group = loops.get(executor);
            if (group != null && group.remove(attachment)) {
                loops.remove(executor);
                group.cancel();
            }
        }
        subscribers--;
    }

    /** Hands a message or an event to every listener; returns how many listeners there were. */
    int emit(Object item) {
        Sinks.EmitResult emitted = sink.tryEmitNext(item);
        switch (emitted) {
            case OK -> {
                return subscribers;
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
