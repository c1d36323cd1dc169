package io.reactivehub.core;

import io.reactivehub.core.broker.Broker;
import io.reactivehub.core.broker.LocalBroker;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Hub-wide options. Immutable.
 *
 * @param queueLimits  default bounds and policy of each subscriber's queue ({@link QueueLimits#DEFAULT})
 * @param channelRules history and presence options by channel pattern ({@link ChannelRules#NONE})
 * @param broker       makes the broker the hub runs on, once per hub ({@link LocalBroker} by default:
 *                     a single node; {@code RedisBroker} shares channels and presence between nodes);
 *                     the broker supplies its presence manager ({@link Broker#presenceManager()})
 */
public record HubOptions(QueueLimits queueLimits, ChannelRules channelRules, Supplier<? extends Broker> broker) {
    public static final HubOptions DEFAULT = new HubOptions(QueueLimits.DEFAULT);

    public HubOptions {
        Objects.requireNonNull(queueLimits, "queueLimits");
        Objects.requireNonNull(channelRules, "channelRules");
        Objects.requireNonNull(broker, "broker");
    }

    /** In-process broker and presence, no history or presence on any channel. */
    public HubOptions(QueueLimits queueLimits) {
        this(queueLimits, ChannelRules.NONE, LocalBroker::new);
    }

    public HubOptions withChannelRules(ChannelRules rules) {
        return new HubOptions(queueLimits, rules, broker);
    }

    public HubOptions withBroker(Supplier<? extends Broker> newBroker) {
        return new HubOptions(queueLimits, channelRules, newBroker);
    }
}
