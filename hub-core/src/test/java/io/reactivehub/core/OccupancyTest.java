package io.reactivehub.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.OccupancyEvent.Type;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/** Occupancy on one node (LocalBroker): events from the local counts. */
class OccupancyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final Hub hub = Hub.create();
    private final ConcurrentLinkedQueue<OccupancyEvent> events = new ConcurrentLinkedQueue<>();
    private final Disposable recording = hub.occupancy().subscribe(events::add);

    @AfterEach
    void tearDown() {
        recording.dispose();
        hub.dispose();
    }

    private List<String> seen() {
        return events.stream().map(e -> e.type() + " " + e.name()).toList();
    }

    @Test
    void firstSubscriberOccupiesAndLastVacatesOnce() {
        Disposable a = hub.subscribe("room").subscribe();
        Disposable b = hub.subscribe("room").subscribe();
        await().atMost(TIMEOUT).until(() -> hub.subscriberCount(ChannelName.of("room")) == 2);
        assertThat(seen()).containsExactly("OCCUPIED room");
        a.dispose();
        assertThat(seen()).containsExactly("OCCUPIED room");
        b.dispose();
        await().atMost(TIMEOUT).until(() -> events.size() == 2);
        assertThat(seen()).containsExactly("OCCUPIED room", "VACATED room");
        OccupancyEvent vacated = List.copyOf(events).get(1);
        assertThat(vacated.channel()).isEqualTo("room");
        assertThat(vacated.user()).isNull();
        assertThat(vacated.node()).isEqualTo(hub.nodeId());
        assertThat(vacated.reporter()).isEqualTo(hub.nodeId());
        assertThat(vacated.expired()).isFalse();
    }

    @Test
    void userIsOnlineFromItsFirstConnectionToItsLast() {
        Disposable one = hub.connected(new ClientInfo("c1", "alice"));
        Disposable two = hub.connected(new ClientInfo("c2", "alice"));
        hub.connected(new ClientInfo("c3", null)).dispose(); // no user: not counted
        one.dispose();
        one.dispose(); // idempotent
        assertThat(seen()).containsExactly("ONLINE alice");
        two.dispose();
        assertThat(seen()).containsExactly("ONLINE alice", "OFFLINE alice");
        assertThat(List.copyOf(events).get(1).user()).isEqualTo("alice");
    }

    @Test
    void disposingTheHubVacatesWhatIsLeftThenCompletes() {
        hub.subscribe("room").subscribe();
        hub.connected(new ClientInfo("c1", "bob"));
        ConcurrentLinkedQueue<OccupancyEvent> all = new ConcurrentLinkedQueue<>();
        boolean[] completed = new boolean[1];
        hub.occupancy().subscribe(all::add, e -> {}, () -> completed[0] = true);
        hub.dispose();
        assertThat(all).extracting(OccupancyEvent::type).containsExactlyInAnyOrder(Type.VACATED, Type.OFFLINE);
        assertThat(completed[0]).isTrue();
    }
}
