package io.reactivehub.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * The hub of one node: its channels with local subscribers live in a concurrent map, keyed by
 * name; a {@link Broker} numbers, stores and carries messages (in process, or between nodes).
 */
final class LocalHub implements Hub, Broker.Delivery {
    private static final Logger log = LoggerFactory.getLogger(LocalHub.class);

    private final HubOptions options;
    private final Broker broker;
    private final ConcurrentHashMap<ChannelName, ChannelState> channels = new ConcurrentHashMap<>();
    private volatile boolean disposed;

    LocalHub(HubOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        this.broker = Objects.requireNonNull(options.broker().get(), "broker");
        broker.start(this);
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
        return register(channel, listener);
    }

    private Attachment register(ChannelName channel, ChannelListener listener) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(listener, "listener");
        if (disposed) {
            throw new HubException(ErrorCode.HUB_CLOSED, "hub is closed");
        }
        Attachment attachment = new Attachment(channel, listener);
        channels.compute(channel, (name, state) -> {
            ChannelState s = state;
            if (s == null) {
                s = new ChannelState(name);
            }
            if (s.ready == null || s.readyFailed) {
                // Per channel, subscribe and unsubscribe reach the broker in order (under this entry's
                // lock). A failed broker subscription (Redis down) is asked for again by the next
                // subscriber instead of failing it from the cache.
                ChannelState target = s;
                target.readyFailed = false;
                Mono<Void> ready = broker.subscribe(name, options(name))
                        .doOnError(e -> target.readyFailed = true)
                        .cache();
                ready.subscribe(null, e -> { });
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

    @Override
    public Mono<Disposable> attach(ChannelName channel, ChannelListener listener, @Nullable StreamPosition recover) {
        return Mono.defer(() -> {
            ChannelOptions channelOptions = options(channel);
            Recovering recovering = new Recovering(listener, recover);
            Attachment attachment = register(channel, recovering);
            // Registered first, read second: every message is either in what is read or delivered
            // to the (buffering) listener, and the listener drops what it got twice.
            int limit = recover == null ? 0 : Math.max(channelOptions.historySize(), 1);
            return attachment.ready
                    .then(broker.history(channel, recover == null ? null : recover.offset(), limit, channelOptions))
                    .map(history -> {
                        recovering.release(history);
                        return (Disposable) attachment;
                    })
                    .doOnError(e -> attachment.dispose())
                    .doOnCancel(attachment::dispose);
        });
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

    @Override
    public Mono<PublishResult> publish(ChannelName channel, byte[] payload, PayloadType type) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(type, "type");
        return Mono.defer(() -> {
            if (disposed) {
                return Mono.error(new HubException(ErrorCode.HUB_CLOSED, "hub is closed"));
            }
            return broker.publish(channel, payload, type, options(channel));
        });
    }

    @Override
    public Mono<HistoryResult> history(ChannelName channel, @Nullable Long since, int limit) {
        ChannelOptions channelOptions = options(channel);
        if (!channelOptions.hasHistory()) {
            return Mono.error(new HubException(ErrorCode.NOT_ENABLED, "channel " + channel + " keeps no history"));
        }
        return broker.history(channel, since, Math.min(Math.max(limit, 0), channelOptions.historySize()),
                channelOptions);
    }

    @Override
    public Mono<List<ClientInfo>> presence(ChannelName channel) {
        if (!options(channel).presence()) {
            return Mono.error(new HubException(ErrorCode.NOT_ENABLED, "channel " + channel + " has no presence"));
        }
        return broker.presence(channel);
    }

    @Override
    public Mono<Void> join(ChannelName channel, ClientInfo client) {
        ChannelOptions channelOptions = options(channel);
        return channelOptions.presence() ? broker.join(channel, client, channelOptions) : Mono.empty();
    }

    @Override
    public Mono<Void> leave(ChannelName channel, ClientInfo client) {
        ChannelOptions channelOptions = options(channel);
        return channelOptions.presence() ? broker.leave(channel, client, channelOptions) : Mono.empty();
    }

    @Override
    public ChannelOptions options(ChannelName channel) {
        return options.channelRules().optionsFor(channel);
    }

    // Broker.Delivery

    @Override
    public int deliver(Message message) {
        ChannelState state = channels.get(message.channel());
        return state == null ? 0 : state.emit(message);
    }

    @Override
    public void presence(ChannelName channel, PresenceEvent event) {
        deliver(Message.presence(channel, event));
    }

    @Override
    public void interrupted(ChannelName channel) {
        deliver(Message.interruption(channel));
    }

    @Override
    public int subscribers(ChannelName channel) {
        return subscriberCount(channel);
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
        broker.dispose();
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }

    /**
     * A listener whose subscription asked to recover: holds live deliveries back until the missed
     * messages are read, then hands over the subscribe result, the missed messages and the held
     * ones (without those it got twice), and from then on passes everything straight through.
     */
    private static final class Recovering implements ChannelListener {
        private final ChannelListener target;
        private final @Nullable StreamPosition recover;
        private @Nullable List<Message> held = new ArrayList<>();
        private volatile boolean live;
        /** After a recovery: live messages up to this offset were in the history already. */
        private long delivered = -1;

        Recovering(ChannelListener target, @Nullable StreamPosition recover) {
            this.target = target;
            this.recover = recover;
        }

        @Override
        public void onMessage(Message message) {
            if (live || !hold(message)) {
                if (message.offset() > delivered) {
                    target.onMessage(message);
                }
            }
        }

        @Override
        public void onPresence(PresenceEvent event) {
            target.onPresence(event);
        }

        @Override
        public void onInterrupted() {
            target.onInterrupted();
        }

        @Override
        public void onClose() {
            target.onClose();
        }

        private synchronized boolean hold(Message message) {
            if (held == null) {
                return false;
            }
            held.add(message);
            return true;
        }

        synchronized void release(HistoryResult history) {
            StreamPosition top = history.top();
            List<Message> replay = List.of();
            boolean recovered = false;
            if (recover != null && recover.epoch().equals(top.epoch())) {
                long since = recover.offset();
                List<Message> missed = history.messages();
                if (since == top.offset()) {
                    recovered = true;
                } else if (since < top.offset() && !missed.isEmpty()
                        && missed.get(0).offset() == since + 1
                        && missed.get(missed.size() - 1).offset() == top.offset()) {
                    recovered = true;
                    replay = missed;
                }
            }
            target.onSubscribed(new SubscribeResult(top, recovered));
            if (recovered) {
                delivered = top.offset();
            }
            for (Message m : replay) {
                target.onMessage(m);
            }
            for (Message m : held) {
                if (m.offset() > delivered) {
                    target.onMessage(m);
                }
            }
            held = null;
            live = true;
        }
    }

    /** One listener's place in a channel: a subscriber of the channel's sink with unbounded demand. */
    private final class Attachment implements CoreSubscriber<Message>, Disposable {
        private final ChannelName channel;
        private final ChannelListener listener;
        private final AtomicBoolean disposedOnce = new AtomicBoolean();
        private volatile @Nullable Subscription subscription;
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
        public void onNext(Message message) {
            try {
                PresenceEvent event = message.event();
                if (event != null) {
                    listener.onPresence(event);
                } else if (message.isInterruption()) {
                    listener.onInterrupted();
                } else {
                    listener.onMessage(message);
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
