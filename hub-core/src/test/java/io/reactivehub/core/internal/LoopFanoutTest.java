package io.reactivehub.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.Message;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.StreamPosition;
import io.reactivehub.core.SubscribeResult;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/**
 * Listeners that name an executor: a channel's listeners on one executor share one subscriber of
 * the channel's sink, handed over with one task per burst. The executors here run nothing until
 * the test says so, which makes a burst exactly what was published in between. The in-process
 * broker emits on the publishing thread, so a publish has reached the executors' queues when
 * {@code block} returns.
 */
class LoopFanoutTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final ChannelName ROOM = ChannelName.of("room");

    private final Hub hub = Hub.create(
            new HubOptions(QueueLimits.DEFAULT).withChannelRules(ChannelRules.parse(List.of("room=history:100"))));

    @AfterEach
    void tearDown() {
        hub.dispose();
    }

    /** Keeps what it is given to run until {@link #runAll()}. */
    static final class ManualExecutor implements Executor {
        private final Queue<Runnable> tasks = new ArrayDeque<>();
        int submitted;

        @Override
        public synchronized void execute(Runnable task) {
            submitted++;
            tasks.add(task);
        }

        void runAll() {
            Runnable task;
            while ((task = poll()) != null) {
                task.run();
            }
        }

        private synchronized @Nullable Runnable poll() {
            return tasks.poll();
        }
    }

    /** Records what it is told as text lines, in order: "m:<text>", "end", "interrupted", "closed". */
    static class Member implements ChannelListener {
        final List<String> seen = new ArrayList<>();
        private final @Nullable Executor executor;

        Member(@Nullable Executor executor) {
            this.executor = executor;
        }

        @Override
        public void onMessage(Message message) {
            seen.add("m:" + message.text());
        }

        @Override
        public @Nullable Executor executor() {
            return executor;
        }

        @Override
        public void onBurstEnd() {
            seen.add("end");
        }

        @Override
        public void onSubscribed(SubscribeResult result) {
            seen.add("subscribed:" + result.recovered());
        }

        @Override
        public void onInterrupted() {
            seen.add("interrupted");
        }

        @Override
        public void onClose() {
            seen.add("closed");
        }

        List<String> messages() {
            return seen.stream().filter(s -> s.startsWith("m:")).toList();
        }
    }

    private void publish(String... texts) {
        for (String text : texts) {
            hub.publish(ROOM.value(), text).block(TIMEOUT);
        }
    }

    private static List<String> expected(String... texts) {
        List<String> seen = new ArrayList<>();
        for (String text : texts) {
            seen.add("m:" + text);
        }
        return seen;
    }

    @Nested
    class Grouping {
        @Test
        void listenersOnOneExecutorGetOneTaskPerBurst() {
            ManualExecutor first = new ManualExecutor();
            ManualExecutor second = new ManualExecutor();
            List<Member> onFirst = List.of(new Member(first), new Member(first), new Member(first));
            List<Member> onSecond = List.of(new Member(second), new Member(second));
            onFirst.forEach(m -> hub.attach(ROOM, m));
            onSecond.forEach(m -> hub.attach(ROOM, m));

            publish("a", "b", "c", "d");

            assertThat(first.submitted).isEqualTo(1);
            assertThat(second.submitted).isEqualTo(1);
            first.runAll();
            second.runAll();
            for (Member member : List.of(onFirst.get(0), onFirst.get(2), onSecond.get(1))) {
                assertThat(member.seen).containsExactly("m:a", "m:b", "m:c", "m:d", "end");
            }

            publish("e");
            assertThat(first.submitted).isEqualTo(2);
            first.runAll();
            assertThat(onFirst.get(1).seen).endsWith("m:e", "end");
        }

        @Test
        void deliveriesAndSubscribersCountListenersNotGroups() {
            ManualExecutor loop = new ManualExecutor();
            List<Member> members = List.of(new Member(loop), new Member(loop), new Member(loop));
            members.forEach(m -> hub.attach(ROOM, m));
            Member direct = new Member(null);
            hub.attach(ROOM, direct);

            publish("a", "b");

            assertThat(hub.subscriberCount(ROOM)).isEqualTo(4);
            assertThat(hub.deliveries()).isEqualTo(8);
            assertThat(direct.seen)
                    .as("a listener without an executor is called at once")
                    .containsExactly("m:a", "m:b");
        }

        @Test
        void aListenerThatLeavesMidBurstGetsNothingAfterAndTheOthersEverything() {
            ManualExecutor loop = new ManualExecutor();
            Member stays = new Member(loop);
            List<Disposable> leaving = new ArrayList<>();
            Member leaves = new Member(loop) {
                @Override
                public void onMessage(Message message) {
                    super.onMessage(message);
                    if (message.text().equals("b")) {
                        leaving.get(0).dispose(); // unsubscribed while the burst is being handed out
                    }
                }
            };
            hub.attach(ROOM, stays);
            leaving.add(hub.attach(ROOM, leaves));

            publish("a", "b", "c", "d");
            loop.runAll();

            assertThat(leaves.messages()).containsExactly("m:a", "m:b");
            assertThat(stays.messages()).containsExactlyElementsOf(expected("a", "b", "c", "d"));
            assertThat(hub.subscriberCount(ROOM)).isEqualTo(1);
        }

        @Test
        void theLastListenerOfAnExecutorLeavingDropsWhatStillWaits() {
            ManualExecutor loop = new ManualExecutor();
            Member member = new Member(loop);
            Disposable attached = hub.attach(ROOM, member);
            publish("a");
            attached.dispose();
            loop.runAll();

            assertThat(member.seen).isEmpty();
            assertThat(hub.channelCount()).isZero();
        }

        @Test
        void aListenerThatThrowsIsDetachedAndTheOthersCarryOn() {
            ManualExecutor loop = new ManualExecutor();
            Member healthy = new Member(loop);
            Member failing = new Member(loop) {
                @Override
                public void onMessage(Message message) {
                    throw new IllegalStateException("listener bug (expected in this test)");
                }
            };
            hub.attach(ROOM, failing);
            hub.attach(ROOM, healthy);

            publish("a", "b");
            loop.runAll();

            assertThat(healthy.messages()).containsExactly("m:a", "m:b");
            assertThat(hub.subscriberCount(ROOM)).isEqualTo(1);
        }

        @Test
        void closingTheHubClosesGroupedListenersInLineWithTheirMessages() {
            ManualExecutor loop = new ManualExecutor();
            Member member = new Member(loop);
            hub.attach(ROOM, member);
            publish("a");
            hub.dispose();
            loop.runAll();

            assertThat(member.seen).containsExactly("m:a", "end", "closed");
        }
    }

    @Nested
    class Backlog {
        @Test
        void anExecutorTooFarBehindGetsAnInterruptionInsteadOfTheItemsPastTheBound() {
            ManualExecutor loop = new ManualExecutor();
            Member member = new Member(loop);
            hub.attach(ChannelName.of("busy"), member);
            int total = ChannelListener.EXECUTOR_BACKLOG + 10;
            for (int i = 0; i < total; i++) {
                hub.publish("busy", "m" + i).block(TIMEOUT);
            }
            loop.runAll();
            hub.publish("busy", "after").block(TIMEOUT);
            loop.runAll();

            List<String> events =
                    member.seen.stream().filter(s -> !s.equals("end")).toList();
            List<String> expected = new ArrayList<>();
            IntStream.range(0, ChannelListener.EXECUTOR_BACKLOG).forEach(i -> expected.add("m:m" + i));
            expected.add("interrupted");
            expected.add("m:after");
            assertThat(events).containsExactlyElementsOf(expected);
        }
    }

    @Nested
    class Recovery {
        @Test
        void aRecoveringGroupedListenerGetsTheMissedMessagesThenTheLiveOnesInOrder() {
            publish("a", "b", "c");
            ManualExecutor loop = new ManualExecutor();
            Member member = new Member(loop);
            Disposable attached =
                    hub.attach(ROOM, member, new StreamPosition(1, epoch())).block(TIMEOUT);
            assertThat(attached).isNotNull();
            // The replay came on this thread (which read the history), and its burst ended.
            assertThat(member.seen).containsExactly("subscribed:true", "m:b", "m:c", "end");

            publish("d");
            loop.runAll();

            assertThat(member.seen).endsWith("m:c", "end", "m:d", "end");
        }

        @Test
        void liveMessagesThatArriveWhileTheHistoryIsReadAreHeldAndNotDuplicated() {
            publish("a");
            ManualExecutor loop = new ManualExecutor();
            Member member = new Member(loop);
            // Registered before the history is read: "b" is both live (handed to the buffer on the
            // loop, and held there) and in the history read afterwards; it must arrive once.
            RecoveryBuffer buffer = new RecoveryBuffer(member, new StreamPosition(1, epoch()), LocalHub.MAX_HELD);
            Disposable attached = hub.attach(ROOM, buffer);
            publish("b");
            loop.runAll();
            assertThat(member.seen).isEmpty();
            buffer.release(hub.history(ROOM, 1L, 100).block(TIMEOUT));
            publish("c");
            loop.runAll();

            assertThat(member.messages()).containsExactly("m:b", "m:c");
            attached.dispose();
        }

        private String epoch() {
            return hub.history(ROOM, null, 0).block(TIMEOUT).top().epoch();
        }
    }
}
