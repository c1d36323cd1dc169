package io.reactivehub.core.internal;

import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelOptions;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;
import io.reactivehub.core.Message;
import io.reactivehub.core.broker.Broker;
import java.util.concurrent.ConcurrentHashMap;
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
 * {@link ChannelState} is created by its first listener (which subscribes the broker) and removed
 * with its last (which unsubscribes it); both happen under the channel's map entry, so per channel
 * the broker sees subscribe and unsubscribe in order. Thread-safe.
 */
final class ChannelRegistry {
    private static final Logger log = LoggerFactory.getLogger(ChannelRegistry.class);

    private final Broker broker;
    private final Function<ChannelName, ChannelOptions> options;
    private final ConcurrentHashMap<ChannelName, ChannelState> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    ChannelRegistry(Broker broker, Function<ChannelName, ChannelOptions> options) {
        this.broker = broker;
        this.options = options;
    }

    /**
     * Registers a listener: it gets every item emitted into the channel from now on.
     *
     * @throws HubException {@link ErrorCode#HUB_CLOSED} once the registry is closed
     */
    Attachment register(ChannelName channel, ChannelListener listener) {
        if (closed) {
            throw new HubException(ErrorCode.HUB_CLOSED, "hub is closed");
        }
        Attachment attachment = new Attachment(channel, listener);
        channels.compute(channel, (name, state) -> {
            ChannelState s = state != null ? state : new ChannelState(name);
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
            s.subscribers++;
            // Subscribing to a directBestEffort sink registers synchronously: delivered from now on.
            s.sink.asFlux().subscribe(attachment);
            attachment.ready = s.ready;
            return s;
        });
        return attachment;
    }

    private void detach(ChannelName channel) {
        channels.computeIfPresent(channel, (name, state) -> {
            if (--state.subscribers == 0) {
                broker.unsubscribe(name);
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

    int subscriberCount(ChannelName channel) {
        ChannelState state = channels.get(channel);
        return state == null ? 0 : state.sink.currentSubscriberCount();
    }

    /** Completes every channel (listeners get {@code onClose}) and refuses new listeners. */
    void close() {
        closed = true;
        channels.values().forEach(ChannelState::close);
        channels.clear();
    }

    /** One listener's place in a channel: a subscriber of the channel's sink with unbounded demand. */
    final class Attachment implements CoreSubscriber<Object>, Disposable {
        private final ChannelName channel;
        private final ChannelListener listener;
        private final AtomicBoolean disposedOnce = new AtomicBoolean();
        private volatile @Nullable Subscription subscription;
        /** Completes when the broker delivers the channel to this node. */
        Mono<Void> ready = Mono.empty();

        Attachment(ChannelName channel, ChannelListener listener) {
            this.channel = channel;
            this.listener = listener;
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(subscription, s)) {
                subscription = s;
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(Object item) {
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

        @Override
        public void onError(Throwable t) {
            listener.onClose();
        }

        @Override
        public void onComplete() {
            listener.onClose();
        }

        @Override
        public void dispose() {
            if (disposedOnce.compareAndSet(false, true)) {
                Subscription s = subscription;
                if (s != null) {
                    s.cancel();
                }
                detach(channel);
            }
        }

        @Override
        public boolean isDisposed() {
            return disposedOnce.get();
        }
    }
}
