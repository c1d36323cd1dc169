package io.reactivehub.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.testing.Recorder;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/**
 * What every broker must do, run against each: numbering, history, recovery with and without a
 * gap, presence. Subclasses make two hubs ("nodes") sharing one broker backend; with the in-process
 * broker both are the same hub.
 */
public abstract class BrokerContract {
    protected static final Duration TIMEOUT = Duration.ofSeconds(30);
    protected static final ChannelRules RULES =
            ChannelRules.parse(List.of("keep:*=history:20,ttl:5m", "who:*=presence,join-leave", "*=history:0"));

    protected Hub a;
    protected Hub b;

    /** Two nodes of one cluster of hubs. */
    protected abstract Hub[] nodes();

    @AfterEach
    void stopNodes() {
        if (a != null) {
            a.dispose();
        }
        if (b != null && b != a) {
            b.dispose();
        }
    }

    protected void start() {
        Hub[] hubs = nodes();
        a = hubs[0];
        b = hubs[1];
    }

    private static String unique(String prefix) {
        return prefix + System.nanoTime();
    }

    private static void publish(Hub hub, ChannelName channel, int from, int to) {
        for (int i = from; i <= to; i++) {
            hub.publish(channel, ("m" + i).getBytes(), PayloadType.TEXT).block(TIMEOUT);
        }
    }

    @Test
    void everyNodeDeliversEveryMessageOnceInOrder() {
        start();
        ChannelName ch = ChannelName.of(unique("live:"));
        Recorder onA = new Recorder();
        Recorder onB = new Recorder();
        Disposable da = a.attach(ch, onA, null).block(TIMEOUT);
        Disposable db = b.attach(ch, onB, null).block(TIMEOUT);
        publish(a, ch, 1, 200);
        List<String> expected =
                IntStream.rangeClosed(1, 200).mapToObj(i -> "m" + i).toList();
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(onA.texts()).isEqualTo(expected);
            assertThat(onB.texts()).isEqualTo(expected);
        });
        assertThat(onB.offsets())
                .isEqualTo(LongStream.rangeClosed(1, 200).boxed().toList());
        assertThat(onB.interruptions).hasValue(0);
        da.dispose();
        db.dispose();
    }

    @Test
    void publishReportsOffsetAndEpochOfTheChannel() {
        start();
        ChannelName ch = ChannelName.of(unique("keep:"));
        PublishResult first = a.publish(ch, "x".getBytes(), PayloadType.TEXT).block(TIMEOUT);
        PublishResult second = b.publish(ch, "y".getBytes(), PayloadType.TEXT).block(TIMEOUT);
        assertThat(first.offset()).isEqualTo(1);
        assertThat(second.offset()).isEqualTo(2);
        assertThat(second.epoch()).isEqualTo(first.epoch()).isNotEmpty();
        HistoryResult history = b.history(ch, null, 10).block(TIMEOUT);
        assertThat(history.top()).isEqualTo(new StreamPosition(2, first.epoch()));
        assertThat(history.messages()).extracting(Message::text).containsExactly("x", "y");
        assertThat(a.history(ch, 1L, 10).block(TIMEOUT).messages())
                .extracting(Message::text)
                .containsExactly("y");
        assertThat(a.history(ch, null, 1).block(TIMEOUT).messages())
                .extracting(Message::text)
                .containsExactly("y");
    }

    @Test
    void recoveryDeliversWhatWasMissedThenLiveWithoutGapOrDuplicate() {
        start();
        ChannelName ch = ChannelName.of(unique("keep:"));
        Recorder first = new Recorder();
        Disposable d = b.attach(ch, first, null).block(TIMEOUT);
        publish(a, ch, 1, 5);
        await().atMost(TIMEOUT).until(() -> first.messages.size() == 5);
        Message last = first.messages.get(4);
        d.dispose();

        publish(a, ch, 6, 12); // missed while away
        Recorder again = new Recorder();
        b.attach(ch, again, new StreamPosition(last.offset(), last.epoch())).block(TIMEOUT);
        publish(a, ch, 13, 15); // live
        List<String> expected =
                IntStream.rangeClosed(6, 15).mapToObj(i -> "m" + i).toList();
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(again.texts()).isEqualTo(expected));
        assertThat(again.subscribed.get().recovered()).isTrue();
        assertThat(again.messagesBeforeSubscribed).hasValue(0);
        assertThat(again.subscribed.get().position()).isEqualTo(new StreamPosition(12, last.epoch()));
    }

    @Test
    void recoveryFailsWhenTheHistoryNoLongerReachesBack() {
        start();
        ChannelName ch = ChannelName.of(unique("keep:"));
        publish(a, ch, 1, 3);
        String epoch = a.history(ch, null, 1).block(TIMEOUT).top().epoch();
        publish(a, ch, 4, 40); // history keeps 20: offsets 21..40
        Recorder r = new Recorder();
        b.attach(ch, r, new StreamPosition(3, epoch)).block(TIMEOUT);
        assertThat(r.subscribed.get().recovered()).isFalse();
        assertThat(r.subscribed.get().position().offset()).isEqualTo(40);
        assertThat(r.messages).isEmpty();
    }

    @Test
    void recoveryFailsForAnotherEpoch() {
        start();
        ChannelName ch = ChannelName.of(unique("keep:"));
        publish(a, ch, 1, 3);
        Recorder r = new Recorder();
        b.attach(ch, r, new StreamPosition(1, "another-epoch")).block(TIMEOUT);
        assertThat(r.subscribed.get().recovered()).isFalse();
        assertThat(r.messages).isEmpty();
    }

    @Test
    void channelWithoutHistoryRecoversWhenNothingWasMissed() {
        start();
        ChannelName ch = ChannelName.of(unique("live:"));
        Recorder first = new Recorder();
        Disposable keep = a.attach(ch, new Recorder(), null).block(TIMEOUT); // keeps the channel alive
        Disposable d = b.attach(ch, first, null).block(TIMEOUT);
        publish(a, ch, 1, 2);
        await().atMost(TIMEOUT).until(() -> first.messages.size() == 2);
        d.dispose();
        Message last = first.messages.get(1);
        Recorder again = new Recorder();
        b.attach(ch, again, new StreamPosition(last.offset(), last.epoch())).block(TIMEOUT);
        assertThat(again.subscribed.get().recovered()).isTrue();
        keep.dispose();
    }

    @Test
    void presenceIsSharedAndJoinLeaveIsAnnounced() {
        start();
        ChannelName ch = ChannelName.of(unique("who:"));
        Recorder watcher = new Recorder();
        a.attach(ch, watcher, null).block(TIMEOUT);
        ClientInfo alice = new ClientInfo("c-alice", "alice");
        ClientInfo anon = new ClientInfo("c-anon", null);
        b.join(ch, alice).block(TIMEOUT);
        a.join(ch, anon).block(TIMEOUT);
        assertThat(a.presence(ch).block(TIMEOUT)).containsExactlyInAnyOrder(alice, anon);
        assertThat(b.presence(ch).block(TIMEOUT)).containsExactlyInAnyOrder(alice, anon);
        // A join and a leave within one announcement window cancel out: leave once the join is out.
        await().atMost(TIMEOUT).until(() -> watcher.events.contains(new PresenceEvent(true, alice)));
        b.leave(ch, alice).block(TIMEOUT);
        assertThat(a.presence(ch).block(TIMEOUT)).containsExactly(anon);
        // Two nodes announce on their own schedules: the joins in either order, the leave last.
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(watcher.events).hasSize(3);
            assertThat(watcher.events.subList(0, 2))
                    .containsExactlyInAnyOrder(new PresenceEvent(true, alice), new PresenceEvent(true, anon));
            assertThat(watcher.events.get(2)).isEqualTo(new PresenceEvent(false, alice));
        });
    }

    @Test
    void historyAndPresenceAreRefusedWhereTheChannelHasNone() {
        start();
        ChannelName ch = ChannelName.of(unique("live:"));
        assertThat(Assertions.catchThrowable(() -> a.history(ch, null, 5).block(TIMEOUT)))
                .isInstanceOfSatisfying(
                        HubException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.NOT_ENABLED));
        assertThat(Assertions.catchThrowable(() -> a.presence(ch).block(TIMEOUT)))
                .isInstanceOfSatisfying(
                        HubException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.NOT_ENABLED));
    }
}
