package io.reactivehub.core.internal;

import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelOptions;
import io.reactivehub.core.ChannelPage;
import io.reactivehub.core.ChannelQuery;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.ControlListener;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HistoryResult;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubException;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.Message;
import io.reactivehub.core.NodeInfo;
import io.reactivehub.core.OccupancyEvent;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.PublishResult;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.StreamPosition;
import io.reactivehub.core.broker.Broker;
import io.reactivehub.core.broker.BrokerListener;
import io.reactivehub.core.broker.NodeBus;
import io.reactivehub.core.broker.OccupancyTracker;
import io.reactivehub.core.broker.PresenceManager;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The hub of one node: a {@link ChannelRegistry} of the channels with local subscribers, a
 * {@link Broker} that numbers, stores and carries messages (in process, or between nodes), and a
 * {@link PresenceManager}. Use {@link Hub#create}; this class is not API.
 */
public final class LocalHub implements Hub, BrokerListener {
    /**
     * Live messages a starting subscription holds while its history is read; past that they are
     * dropped for an interruption (see {@link RecoveryBuffer}).
     */
    static final int MAX_HELD = 8192;
    /** Join/leave announcements of one channel within this window are coalesced. */
    static final Duration ANNOUNCE_WINDOW = Duration.ofMillis(100);

    private final HubOptions options;
    private final Broker broker;
    private final PresenceManager presence;
    private final OccupancyTracker occupancy;
    /** Per user, this node's open connections (entries exist while at least one is open). */
    private final ConcurrentHashMap<String, Integer> connections = new ConcurrentHashMap<>();

    private final ChannelRegistry channels;
    private final PresenceAnnouncer announcer;
    private final NodeBus nodes;
    private final long startedNanos = System.nanoTime();
    private final List<ControlListener> controls = new CopyOnWriteArrayList<>();
    private final LongAdder deliveries = new LongAdder();
    private final LongAdder deliveredBytes = new LongAdder();
    private volatile boolean disposed;

    public LocalHub(HubOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        this.broker = Objects.requireNonNull(options.broker().get(), "broker");
        this.presence = Objects.requireNonNull(broker.presenceManager(), "presence");
        this.occupancy = Objects.requireNonNull(broker.occupancyTracker(), "occupancy");
        // A loop as far behind as a connection's whole queue allows is not yet cut off.
        this.channels = new ChannelRegistry(
                broker,
                occupancy,
                this::options,
                Math.max(options.queueLimits().maxMessages(), ChannelListener.EXECUTOR_BACKLOG));
        this.announcer = new PresenceAnnouncer(broker, ANNOUNCE_WINDOW);
        this.nodes = Objects.requireNonNull(broker.nodeBus(occupancy.node()), "nodeBus");
        broker.start(this);
        nodes.start(new NodeBus.Local() {
            @Override
            public NodeInfo info() {
                return localInfo();
            }

            @Override
            public ChannelPage channels(ChannelQuery query) {
                return channels.page(query);
            }

            @Override
            public void onControl(byte[] command) {
                for (ControlListener l : controls) {
                    l.onControl(command);
                }
            }
        });
    }

    private NodeInfo localInfo() {
        long connections = 0;
        long users = 0;
        for (ControlListener l : controls) {
            connections += l.connections();
            users += l.users();
        }
        return new NodeInfo(
                nodes.nodeId(),
                NodeInfo.currentVersion(),
                connections,
                users,
                channels.channelCount(),
                Duration.ofNanos(System.nanoTime() - startedNanos));
    }

    @Override
    public String nodeId() {
        return nodes.nodeId();
    }

    @Override
    public Mono<List<NodeInfo>> nodes() {
        return nodes.nodes();
    }

    @Override
    public Mono<ChannelPage> channels(ChannelQuery query) {
        Objects.requireNonNull(query, "query");
        return nodes.channels(query);
    }

    @Override
    public Mono<Void> sendControl(byte[] command) {
        Objects.requireNonNull(command, "command");
        return nodes.send(command);
    }

    @Override
    public Disposable onControl(ControlListener listener) {
        Objects.requireNonNull(listener, "listener");
        controls.add(listener);
        return () -> controls.remove(listener);
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
            DeliveryQueue<Message> queue = new DeliveryQueue<>(limits, Message::size, m -> {});
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
        return channels.register(channel, listener);
    }

    @Override
    public Mono<Disposable> attach(ChannelName channel, ChannelListener listener, @Nullable StreamPosition recover) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(listener, "listener");
        return Mono.defer(() -> {
            ChannelOptions channelOptions = options(channel);
            RecoveryBuffer buffer = new RecoveryBuffer(listener, recover, MAX_HELD);
            ChannelRegistry.Attachment attachment = channels.register(channel, buffer);
            // Registered first, read second: see RecoveryBuffer.
            int limit = recover == null ? 0 : Math.max(channelOptions.historySize(), 1);
            return attachment
                    .ready
                    .then(broker.history(channel, recover == null ? null : recover.offset(), limit, channelOptions))
                    .map(history -> {
                        buffer.release(history);
                        return (Disposable) attachment;
                    })
                    .doOnError(e -> attachment.dispose())
                    .doOnCancel(attachment::dispose);
        });
    }

    @Override
    public Mono<PublishResult> publish(ChannelName channel, byte[] payload, PayloadType type) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(type, "type");
        return Mono.defer(() -> disposed
                ? Mono.error(new HubException(ErrorCode.HUB_CLOSED, "hub is closed"))
                : broker.publish(channel, payload, type, options(channel)));
    }

    @Override
    public Mono<HistoryResult> history(ChannelName channel, @Nullable Long since, int limit) {
        ChannelOptions channelOptions = options(channel);
        if (!channelOptions.hasHistory()) {
            return Mono.error(new HubException(ErrorCode.NOT_ENABLED, "channel " + channel + " keeps no history"));
        }
        return broker.history(
                channel, since, Math.min(Math.max(limit, 0), channelOptions.historySize()), channelOptions);
    }

    @Override
    public Mono<List<ClientInfo>> presence(ChannelName channel) {
        if (!options(channel).presence()) {
            return Mono.error(new HubException(ErrorCode.NOT_ENABLED, "channel " + channel + " has no presence"));
        }
        return presence.presence(channel);
    }

    @Override
    public Mono<Void> join(ChannelName channel, ClientInfo client) {
        ChannelOptions channelOptions = options(channel);
        if (!channelOptions.presence()) {
            return Mono.empty();
        }
        Mono<Void> added = presence.add(channel, client);
        return channelOptions.joinLeave()
                ? added.doOnSuccess(v -> announcer.announce(channel, new PresenceEvent(true, client)))
                : added;
    }

    @Override
    public Mono<Void> leave(ChannelName channel, ClientInfo client) {
        ChannelOptions channelOptions = options(channel);
        if (!channelOptions.presence()) {
            return Mono.empty();
        }
        Mono<Boolean> removed = presence.remove(channel, client);
        return channelOptions.joinLeave()
                ? removed.filter(Boolean::booleanValue)
                        .doOnNext(r -> announcer.announce(channel, new PresenceEvent(false, client)))
                        .then()
                : removed.then();
    }

    @Override
    public Flux<OccupancyEvent> occupancy() {
        return occupancy.events();
    }

    @Override
    public Disposable connected(ClientInfo client) {
        Objects.requireNonNull(client, "client");
        String user = client.user();
        if (user == null || disposed) {
            return Disposables.disposed();
        }
        // The first and last connection decide under the user's map entry: per user, online and
        // offline reach the tracker in order.
        connections.compute(user, (u, count) -> {
            if (count == null) {
                occupancy.online(u);
                return 1;
            }
            return count + 1;
        });
        AtomicBoolean closed = new AtomicBoolean();
        return new Disposable() {
            @Override
            public void dispose() {
                if (closed.compareAndSet(false, true)) {
                    connections.computeIfPresent(user, (u, count) -> {
                        if (count > 1) {
                            return count - 1;
                        }
                        occupancy.offline(u);
                        return null;
                    });
                }
            }

            @Override
            public boolean isDisposed() {
                return closed.get();
            }
        };
    }

    @Override
    public ChannelOptions options(ChannelName channel) {
        return options.channelRules().optionsFor(channel);
    }

    // BrokerListener: the broker hands over, one at a time per channel.

    @Override
    public int onMessage(Message message) {
        int subscribers = channels.emit(message.channel(), message);
        if (subscribers > 0) {
            deliveries.add(subscribers);
            deliveredBytes.add((long) subscribers * message.size());
        }
        return subscribers;
    }

    @Override
    public void onJoin(ChannelName channel, ClientInfo client) {
        channels.emit(channel, new ChannelEvent.Presence(new PresenceEvent(true, client)));
    }

    @Override
    public void onLeave(ChannelName channel, ClientInfo client) {
        channels.emit(channel, new ChannelEvent.Presence(new PresenceEvent(false, client)));
    }

    @Override
    public void onInterrupted(ChannelName channel) {
        channels.emit(channel, ChannelEvent.Interrupted.INSTANCE);
    }

    @Override
    public long deliveries() {
        return deliveries.sum();
    }

    @Override
    public long deliveredBytes() {
        return deliveredBytes.sum();
    }

    @Override
    public int channelCount() {
        return channels.channelCount();
    }

    @Override
    public int subscriberCount(ChannelName channel) {
        return channels.subscriberCount(channel);
    }

    @Override
    public QueueLimits queueLimits() {
        return options.queueLimits();
    }

    @Override
    public void dispose() {
        disposed = true;
        channels.close();
        connections.clear();
        // Occupancy, presence and the node's entry first: leaving them may need the broker's connection.
        occupancy.dispose();
        nodes.dispose();
        presence.dispose();
        broker.dispose();
    }

    @Override
    public boolean brokerAvailable() {
        return !disposed && broker.isAvailable();
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }
}
