package io.reactivehub.core.internal;

import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelOptions;
import io.reactivehub.core.ChannelPage;
import io.reactivehub.core.ChannelQuery;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;
import io.reactivehub.core.Message;
import io.reactivehub.core.broker.Broker;
import io.reactivehub.core.broker.OccupancyTracker;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * The channels of one node that have local subscribers, keyed by name. A channel's
 * {@link ChannelState} is created by its first listener (which subscribes the broker and occupies
 * the channel) and removed with its last (which unsubscribes and vacates it); both happen under the
 * channel's map entry, so per channel the broker and the occupancy tracker see them in order. Thread-safe.
 */
final class ChannelRegistry {
    private static final Logger log = LoggerFactory.getLogger(ChannelRegistry.class);

    private final Broker broker;
    private final OccupancyTracker occupancy;
    private final Function<ChannelName, ChannelOptions> options;
    /** Items a channel's group of listeners on one executor may fall behind (see {@link LoopFanout}). */
    private final int groupBacklog;

    private final ConcurrentHashMap<ChannelName, ChannelState> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    ChannelRegistry(
            Broker broker,
            OccupancyTracker occupancy,
            Function<ChannelName, ChannelOptions> options,
            int groupBacklog) {
        this.broker = broker;
        this.occupancy = occupancy;
        this.options = options;
        this.groupBacklog = groupBacklog;
    }

    /**
     * Registers a listener: it gets every item emitted into the channel from now on (a listener
     * with an {@link ChannelListener#executor()} joins that executor's group of the channel).
     *
     * @throws HubException {@link ErrorCode#HUB_CLOSED} once the registry is closed
     */
    Attachment register(ChannelName channel, ChannelListener listener) {
        if (closed) {
            throw new HubException(ErrorCode.HUB_CLOSED, "hub is closed");
        }
        Attachment attachment = new Attachment(channel, listener);
        channels.compute(channel, (name, state) -> {
            ChannelState s = state;
            if (s == null) {
                s = new ChannelState(name, groupBacklog);
                occupancy.occupy(name);
            }
            if (s.ready == null || s.readyFailed) {
                // A failed broker subscription (Redis down) is asked for again by the next
                // subscriber instead of failing it from the cache.
                ChannelState target = s;
                target.readyFailed = false;
                Mono<Void> ready = broker.subscribe(name, options.apply(name))
                        .doOnError(e -> target.readyFailed = true)
                        .cache();
                ready.subscribe(null, e -> {});
                target.ready = ready;
            }
            s.add(attachment);
            attachment.ready = s.ready;
            return s;
        });
        return attachment;
    }

    private void detach(Attachment attachment) {
        channels.computeIfPresent(attachment.channel, (name, state) -> {
            state.remove(attachment);
            if (state.subscribers == 0) {
                broker.unsubscribe(name);
                occupancy.vacate(name);
                return null;
            }
            return state;
        });
    }

    /** Emits a message or a {@link ChannelEvent} to the channel's listeners; returns how many there were. */
    int emit(ChannelName channel, Object item) {
        ChannelState state = channels.get(channel);
        return state == null ? 0 : state.emit(item);
    }

    int channelCount() {
        return channels.size();
    }

    /** The query's page of this node's channels. */
    ChannelPage page(ChannelQuery query) {
        Map<String, Integer> accepted = new HashMap<>();
        channels.forEach((name, state) -> {
            if (query.accepts(name.value())) {
                accepted.put(name.value(), state.subscribers);
            }
        });
        return query.page(accepted);
    }

    int subscriberCount(ChannelName channel) {
        ChannelState state = channels.get(channel);
        return state == null ? 0 : state.subscribers;
    }

    /** Completes every channel (listeners get {@code onClose}) and refuses new listeners. */
    void close() {
        closed = true;
        channels.values().forEach(ChannelState::close);
        channels.clear();
    }

    /**
     * One listener's place in a channel. The listener is called by its own subscriber of the
     * channel's sink ({@link #direct()}) on the emitting thread, or, when it names an executor, by
     * that executor's {@link LoopFanout}. Either way a listener that throws is detached.
     */
    final class Attachment implements Disposable {
        private final ChannelName channel;
        private final ChannelListener listener;
        private final @Nullable Executor executor;
        private final AtomicBoolean disposedOnce = new AtomicBoolean();
        private @Nullable Direct direct;
        /** Completes when the broker delivers the channel to this node. */
        Mono<Void> ready = Mono.empty();

        Attachment(ChannelName channel, ChannelListener listener) {
            this.channel = channel;
            this.listener = listener;
            this.executor = listener.executor();
        }

        /** Where the listener is called; null for the emitting thread. */
        @Nullable
        Executor executor() {
            return executor;
        }

        /** The listener's own subscriber of the sink (listeners without an executor). */
        Direct direct() {
            Direct d = direct;
            if (d == null) {
                d = new Direct(this);
                direct = d;
            }
            return d;
        }

        /** Hands one item of the channel to the listener. */
        void deliver(Object item) {
            if (disposedOnce.get()) {
                return;
            }
            try {
                if (item instanceof Message message) {
                    listener.onMessage(message);
                } else {
                    ((ChannelEvent) item).deliverTo(listener);
                }
            } catch (RuntimeException e) {
                log.error("channel {}: listener failed, detaching it", channel, e);
                dispose();
            }
        }

        /** A burst of {@link #deliver} calls on the executor ended. */
        void burstEnded() {
            try {
                listener.onBurstEnd();
            } catch (RuntimeException e) {
                log.error("channel {}: listener failed, detaching it", channel, e);
                dispose();
            }
        }

        void close() {
            listener.onClose();
        }

        @Override
        public void dispose() {
            if (disposedOnce.compareAndSet(false, true)) {
                detach(this);
            }
        }

        @Override
        public boolean isDisposed() {
            return disposedOnce.get();
        }
    }

    /** A listener's own subscriber of the channel's sink, with unbounded demand. */
    static final class Direct implements CoreSubscriber<Object> {
        private final Attachment attachment;
        private volatile @Nullable Subscription subscription;
        private volatile boolean cancelled;

        Direct(Attachment attachment) {
            this.attachment = attachment;
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(subscription, s)) {
                subscription = s;
                if (cancelled) {
                    s.cancel();
                } else {
                    s.request(Long.MAX_VALUE);
                }
            }
        }

        @Override
        public void onNext(Object item) {
            attachment.deliver(item);
        }

        @Override
        public void onError(Throwable t) {
            attachment.close();
        }

        @Override
        public void onComplete() {
            attachment.close();
        }

        void cancel() {
            cancelled = true;
            Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }
    }
}
