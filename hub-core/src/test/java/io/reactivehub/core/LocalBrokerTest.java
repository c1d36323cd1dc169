package io.reactivehub.core;

/** The broker contract with the in-process broker: both "nodes" are one hub. */
class LocalBrokerTest extends BrokerContract {
    @Override
    protected Hub[] nodes() {
        Hub hub = Hub.create(new HubOptions(QueueLimits.DEFAULT).withChannelRules(RULES));
        return new Hub[] {hub, hub};
    }
}
