package io.reactivehub.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.testing.Recorder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The broker contract with the in-process broker: both "nodes" are one hub. */
class LocalBrokerTest extends BrokerContract {
    @Override
    protected Hub[] nodes() {
        Hub hub = Hub.create(new HubOptions(QueueLimits.DEFAULT).withChannelRules(RULES));
        return new Hub[] {hub, hub};
    }

    @Test
    void historyIsDroppedAfterItsTtlWithoutPublishesAndTheEpochThenChanges() {
        Hub hub = Hub.create(new HubOptions(QueueLimits.DEFAULT)
                .withChannelRules(ChannelRules.parse(List.of("short=history:10,ttl:1s"))));
        a = hub;
        b = hub;
        ChannelName ch = ChannelName.of("short");
        PublishResult first = hub.publish(ch, "x".getBytes(), PayloadType.TEXT).block(TIMEOUT);
        assertThat(hub.history(ch, null, 10).block(TIMEOUT).messages()).hasSize(1);
        await().atMost(TIMEOUT)
                .until(() -> hub.history(ch, null, 10).block(TIMEOUT).messages().isEmpty()
                        && !hub.history(ch, null, 10)
                                .block(TIMEOUT)
                                .top()
                                .epoch()
                                .equals(first.epoch()));
        Recorder r = new Recorder();
        hub.attach(ch, r, new StreamPosition(first.offset(), first.epoch())).block(TIMEOUT);
        assertThat(r.subscribed.get().recovered()).isFalse();
    }

    @Test
    void aChannelWithoutSubscribersOrHistoryKeepsNothing() {
        start();
        ChannelName ch = ChannelName.of("live:nobody");
        assertThat(a.publish(ch, "x".getBytes(), PayloadType.TEXT).block(TIMEOUT))
                .isEqualTo(PublishResult.NO_SUBSCRIBERS);
        assertThat(a.channelCount()).isZero();
    }
}
