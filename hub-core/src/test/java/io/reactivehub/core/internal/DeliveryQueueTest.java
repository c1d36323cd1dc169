package io.reactivehub.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.SlowConsumerException;
import io.reactivehub.core.SlowConsumerPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class DeliveryQueueTest {
    private final List<String> discarded = new ArrayList<>();

    private DeliveryQueue<String> queue(int maxMessages, long maxBytes, SlowConsumerPolicy policy) {
        return new DeliveryQueue<>(new QueueLimits(maxMessages, maxBytes, policy), String::length, discarded::add);
    }

    @Test
    void deliversInOfferOrderAsDemandAllows() {
        DeliveryQueue<String> q = queue(10, 100, SlowConsumerPolicy.DISCONNECT);
        q.offer("a");
        q.offer("b");
        q.offer("c");
        StepVerifier.create(q, 1)
                .expectNext("a")
                .then(() -> assertThat(q.size()).isEqualTo(2))
                .thenRequest(2)
                .expectNext("b", "c")
                .then(q::complete)
                .expectComplete()
                .verify(Duration.ofSeconds(5));
        assertThat(q.size()).isZero();
        assertThat(q.bytes()).isZero();
    }

    @Nested
    class Disconnect {
        @Test
        void overflowInMessagesDiscardsTheBacklogAndErrors() {
            DeliveryQueue<String> q = queue(2, 100, SlowConsumerPolicy.DISCONNECT);
            q.offer("a");
            q.offer("b");
            q.offer("c");
            StepVerifier.create(q, 0).expectError(SlowConsumerException.class).verify(Duration.ofSeconds(5));
            assertThat(discarded).containsExactly("a", "b", "c");
            assertThat(q.overflowed()).isTrue();
        }

        @Test
        void overflowInBytesErrorsToo() {
            DeliveryQueue<String> q = queue(100, 5, SlowConsumerPolicy.DISCONNECT);
            q.offer("abc");
            q.offer("def");
            StepVerifier.create(q, 0).expectError(SlowConsumerException.class).verify(Duration.ofSeconds(5));
        }

        @Test
        void offersAfterTerminationAreDiscardedAtOnce() {
            DeliveryQueue<String> q = queue(1, 100, SlowConsumerPolicy.DISCONNECT);
            q.offer("a");
            q.offer("b");
            assertThat(q.offer("late")).isFalse();
            assertThat(discarded).contains("late");
        }
    }

    @Nested
    class DropOldest {
        @Test
        void keepsTheNewestAndCountsDrops() {
            DeliveryQueue<String> q = queue(2, 100, SlowConsumerPolicy.DROP_OLDEST);
            for (String s : new String[] {"1", "2", "3", "4", "5"}) {
                q.offer(s);
            }
            assertThat(q.dropped()).isEqualTo(3);
            assertThat(discarded).containsExactly("1", "2", "3");
            StepVerifier.create(q)
                    .expectNext("4", "5")
                    .then(q::complete)
                    .expectComplete()
                    .verify(Duration.ofSeconds(5));
        }

        @Test
        void dropsByBytesAsWell() {
            DeliveryQueue<String> q = queue(100, 6, SlowConsumerPolicy.DROP_OLDEST);
            q.offer("aaa");
            q.offer("bbb");
            q.offer("ccc");
            assertThat(q.dropped()).isEqualTo(1);
            assertThat(q.bytes()).isEqualTo(6);
        }
    }

    @Test
    void cancellingDiscardsWhatWaits() {
        DeliveryQueue<String> q = queue(10, 100, SlowConsumerPolicy.DISCONNECT);
        q.offer("a");
        q.offer("b");
        StepVerifier.create(q, 0).thenCancel().verify(Duration.ofSeconds(5));
        assertThat(discarded).containsExactly("a", "b");
        assertThat(q.offer("c")).isFalse();
    }

    @Test
    void refusesASecondSubscriber() {
        DeliveryQueue<String> q = queue(10, 100, SlowConsumerPolicy.DISCONNECT);
        q.subscribe();
        StepVerifier.create(q).expectError(IllegalStateException.class).verify(Duration.ofSeconds(5));
    }
}
