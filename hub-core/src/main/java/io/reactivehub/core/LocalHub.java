package io.reactivehub.core;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/** The in-process hub: channels live in a concurrent map, keyed by name, while they have subscribers. */
final class LocalHub implements Hub {
    private static final Logger log = LoggerFactory.getLogger(LocalHub.class);

    private final HubOptions options;
    private final ConcurrentHashMap<ChannelName, ChannelState> channels = new ConcurrentHashMap<>();
    private volatile boolean disposed;

    LocalHub(HubOptions options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    @Override
    public Flux<Message> subscribe(ChannelName channel) {
        return subscribe(channel, options.queueLimits());
    }

    @Override
    public Flux<Message> subscribe(ChannelName channel, QueueLimits limits) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(limits, "limits");
        return Flux.defer(() -> {
            DeliveryQueue<Message> queue = new DeliveryQueue<>(limits, Message::size, m -> { });
            Disposable attached = attach(channel, new ChannelListener() {
                @Override
                public void onMessage(Message message) {
                    queue.offer(message);
                }

                @Override
                public void onClose() {
                    queue.complete();
                }
            });
            return queue.doFinally(signal -> attached.dispose());
        });
    }

    @Override
    public Disposable attach(ChannelName channel, ChannelListener listener) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(listener, "listener");
        if (disposed) {
            throw new HubException(ErrorCode.HUB_CLOSED, "hub is closed");
        }
        Attachment attachment = new Attachment(channel, listener);
        channels.compute(channel, (name, state) -> {
            ChannelState s = state != null ? state : new ChannelState(name);
            s.subscribers++;
            // Subscribing to a directBestEffort sink registers synchronously: delivered from now on.
            s.sink.asFlux().subscribe(attachment);
            return s;
        });
        return attachment;
    }

    private void detach(ChannelName channel) {
        channels.computeIfPresent(channel, (name, state) -> --state.subscribers == 0 ? null : state);
    }

    @Override
    public Mono<PublishResult> publish(ChannelName channel, byte[] payload, PayloadType type) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(type, "type");
        return Mono.create(sink -> {
            if (disposed) {
                sink.error(new HubException(ErrorCode.HUB_CLOSED, "hub is closed"));
                return;
            }
            ChannelState state = channels.get(channel);
            if (state == null) {
                sink.success(PublishResult.NO_SUBSCRIBERS);
            } else {
                state.publish(payload, type, sink);
            }
        });
    }

    @Override
    public int channelCount() {
        return channels.size();
    }

    @Override
    public int subscriberCount(ChannelName channel) {
        ChannelState state = channels.get(channel);
        return state == null ? 0 : state.sink.currentSubscriberCount();
    }

    @Override
    public QueueLimits queueLimits() {
        return options.queueLimits();
    }

    @Override
    public void dispose() {
        disposed = true;
        channels.values().forEach(ChannelState::close);
        channels.clear();
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }

    /** One listener's place in a channel: a subscriber of the channel's sink with unbounded demand. */
    private final class Attachment implements CoreSubscriber<Message>, Disposable {
        private final ChannelName channel;
        private final ChannelListener listener;
        private final AtomicBoolean disposedOnce = new AtomicBoolean();
        private volatile Subscription subscription;

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
        public void onNext(Message message) {
            try {
                listener.onMessage(message);
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
