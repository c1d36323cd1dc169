package io.reactivehub.core;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * Hub-wide options.
 *
 * @param queueLimits  default bounds and policy of each subscriber's queue ({@link QueueLimits#DEFAULT})
 * @param channelRules history and presence options by channel pattern ({@link ChannelRules#NONE})
 * @param broker       makes the broker the hub runs on (one per hub: {@link LocalBroker#new} for a
 *                     single node, {@code RedisBroker} to share channels between nodes)
 */
public record HubOptions(QueueLimits queueLimits, ChannelRules channelRules, Supplier<? extends Broker> broker) {
    public static final HubOptions DEFAULT = new HubOptions(QueueLimits.DEFAULT);

    public HubOptions {
        Objects.requireNonNull(queueLimits, "queueLimits");
        Objects.requireNonNull(channelRules, "channelRules");
        Objects.requireNonNull(broker, "broker");
    }

    /** In-process broker, no history or presence. */
    public HubOptions(QueueLimits queueLimits) {
        this(queueLimits, ChannelRules.NONE, LocalBroker::new);
    }

    public HubOptions withChannelRules(ChannelRules rules) {
        return new HubOptions(queueLimits, rules, broker);
    }

    public HubOptions withBroker(Supplier<? extends Broker> broker) {
        return new HubOptions(queueLimits, channelRules, broker);
    }
}
