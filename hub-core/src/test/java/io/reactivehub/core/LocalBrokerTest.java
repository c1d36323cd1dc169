package io.reactivehub.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.broker.HistoryLimits;
import io.reactivehub.core.broker.LocalBroker;
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

    @Test
    void historyBeyondTheNodesLimitsIsRefusedAndNothingIsNumbered() {
        LocalBroker broker = new LocalBroker(new HistoryLimits(3, 100));
        Hub hub = Hub.create(new HubOptions(QueueLimits.DEFAULT)
                .withChannelRules(ChannelRules.parse(List.of("chat:*=history:5,ttl:10m")))
                .withBroker(() -> broker));
        a = hub;
        b = hub;
        for (int i = 1; i <= 3; i++) {
            hub.publish(ChannelName.of("chat:" + i), "0123456789".getBytes(), PayloadType.TEXT)
                    .block(TIMEOUT);
        }
        // A fourth channel with history: refused, however small.
        Throwable fourth = catchThrowable(() -> hub.publish(ChannelName.of("chat:4"), "x".getBytes(), PayloadType.TEXT)
                .block(TIMEOUT));
        assertThat(fourth)
                .isInstanceOfSatisfying(
                        HubException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.LIMIT_EXCEEDED));

        // Bytes: 30 held; a 71-byte message would make 101.
        ChannelName one = ChannelName.of("chat:1");
        Throwable big = catchThrowable(
                () -> hub.publish(one, new byte[71], PayloadType.BINARY).block(TIMEOUT));
        assertThat(big).isInstanceOf(HubException.class);
        assertThat(broker.historyBytes()).isEqualTo(30);
        PublishResult fits = hub.publish(one, new byte[70], PayloadType.BINARY).block(TIMEOUT);
        assertThat(fits.offset()).as("the refused one took no offset").isEqualTo(2);
        assertThat(broker.historyBytes()).isEqualTo(100);

        // Trimming to history:5 gives bytes back.
        for (int i = 0; i < 5; i++) {
            hub.publish(ChannelName.of("chat:2"), new byte[0], PayloadType.BINARY)
                    .block(TIMEOUT);
        }
        assertThat(broker.historyBytes()).isEqualTo(90);
    }

    @Test
    void aConnectionTogglingItsSubscriptionCostsTheMembersAlmostNoPushes() {
        Hub hub = Hub.create(new HubOptions(QueueLimits.DEFAULT)
                .withChannelRules(ChannelRules.parse(List.of("room=presence,join-leave"))));
        a = hub;
        b = hub;
        ChannelName room = ChannelName.of("room");
        Recorder member = new Recorder();
        hub.attach(room, member, null).block(TIMEOUT);
        ClientInfo toggler = new ClientInfo("toggler", null);
        ClientInfo steady = new ClientInfo("steady", null);

        for (int i = 0; i < 100; i++) {
            hub.join(room, toggler).block(TIMEOUT);
            hub.leave(room, toggler).block(TIMEOUT);
        }
        hub.join(room, steady).block(TIMEOUT);

        await().atMost(TIMEOUT).until(() -> member.events.contains(new PresenceEvent(true, steady)));
        List<PresenceEvent> toggles =
                member.events.stream().filter(e -> e.client().equals(toggler)).toList();
        // Joins and leaves within one announcement window cancel out: 200 changes, a handful of
        // pushes at most (a window boundary can fall inside the loop), ending with the leave.
        assertThat(toggles.size()).isLessThanOrEqualTo(10);
        if (!toggles.isEmpty()) {
            assertThat(toggles.get(toggles.size() - 1).joined()).isFalse();
        }
        assertThat(hub.presence(room).block(TIMEOUT)).containsExactly(steady);
    }
}
