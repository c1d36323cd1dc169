package io.reactivehub.core.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.OccupancyEvent;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.testing.RedisProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/** Occupancy across two hubs on a real Redis of the test's own: one event per cluster-wide transition. */
class RedisOccupancyIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private RedisProcess redis;
    private final List<Hub> hubs = new ArrayList<>();

    @BeforeEach
    void startRedis() {
        redis = RedisProcess.start();
    }

    @AfterEach
    void tearDown() {
        hubs.forEach(Hub::dispose);
        redis.close();
    }

    private Hub node() {
        Hub hub = Hub.create(new HubOptions(QueueLimits.DEFAULT)
                .withBroker(() -> RedisBroker.connect(
                        RedisBroker.parseUris(redis.uri()),
                        new RedisBroker.Options(Duration.ofSeconds(5), Duration.ofSeconds(3)))));
        hubs.add(hub);
        return hub;
    }

    /** How many nodes Redis has for an entry ({@code c:<channel>} or {@code u:<user>}). */
    private long members(String entry) {
        return Long.parseLong(redis.command("SCARD hub:{occ}:" + entry).substring(1));
    }

    private static ConcurrentLinkedQueue<OccupancyEvent> record(Hub hub) {
        ConcurrentLinkedQueue<OccupancyEvent> events = new ConcurrentLinkedQueue<>();
        hub.occupancy().subscribe(events::add);
        return events;
    }

    private static List<String> seen(ConcurrentLinkedQueue<OccupancyEvent> events, String name) {
        return events.stream()
                .filter(e -> e.name().equals(name))
                .map(e -> e.type() + " " + e.name())
                .toList();
    }

    /**
     * Waits until each hub hears of a transition the other one reported: a probe channel is
     * occupied (and vacated, and occupied again, until it is heard) on each.
     */
    private static void linked(
            Hub a, ConcurrentLinkedQueue<OccupancyEvent> onA, Hub b, ConcurrentLinkedQueue<OccupancyEvent> onB) {
        AtomicReference<Disposable> probeA = new AtomicReference<>();
        AtomicReference<Disposable> probeB = new AtomicReference<>();
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> {
            boolean heardA = !seen(onB, "probe-a").isEmpty();
            boolean heardB = !seen(onA, "probe-b").isEmpty();
            if (!heardA) {
                toggle(a, "probe-a", probeA);
            }
            if (!heardB) {
                toggle(b, "probe-b", probeB);
            }
            return heardA && heardB;
        });
        leave(probeA);
        leave(probeB);
        await().atMost(TIMEOUT)
                .until(() -> a.subscriberCount(ChannelName.of("probe-a")) == 0
                        && b.subscriberCount(ChannelName.of("probe-b")) == 0);
    }

    private static void leave(AtomicReference<Disposable> probe) {
        Disposable current = probe.getAndSet(null);
        if (current != null) {
            current.dispose();
        }
    }

    /** Subscribes to the probe channel, or leaves it. */
    private static void toggle(Hub hub, String channel, AtomicReference<Disposable> probe) {
        Disposable current = probe.getAndSet(null);
        if (current != null) {
            current.dispose();
        } else {
            probe.set(hub.subscribe(channel).subscribe());
        }
    }

    @Test
    void aChannelIsOccupiedOnceAndVacatedOnceWhateverNodesItsSubscribersAreOn() {
        Hub a = node();
        Hub b = node();
        ConcurrentLinkedQueue<OccupancyEvent> onA = record(a);
        ConcurrentLinkedQueue<OccupancyEvent> onB = record(b);
        linked(a, onA, b, onB);

        Disposable first = a.subscribe("room").subscribe();
        await().atMost(TIMEOUT).until(() -> seen(onB, "room").size() == 1);
        Disposable second = b.subscribe("room").subscribe();
        // Two nodes' commands are not ordered with each other: each step waits for the last one
        // to land in Redis, so the transitions are the ones this test means.
        await().atMost(TIMEOUT).until(() -> members("c:room") == 2);
        first.dispose();
        await().atMost(TIMEOUT).until(() -> members("c:room") == 1);
        second.dispose();
        await().atMost(TIMEOUT)
                .until(() -> seen(onA, "room").size() == 2 && seen(onB, "room").size() == 2);

        assertThat(seen(onA, "room")).containsExactly("OCCUPIED room", "VACATED room");
        assertThat(seen(onB, "room")).containsExactly("OCCUPIED room", "VACATED room");
        OccupancyEvent occupied =
                onB.stream().filter(e -> e.name().equals("room")).findFirst().orElseThrow();
        assertThat(occupied.node()).isEqualTo(a.nodeId());
        assertThat(occupied.reporter()).isEqualTo(a.nodeId());
        OccupancyEvent vacated = onA.stream()
                .filter(e -> e.name().equals("room") && e.type() == OccupancyEvent.Type.VACATED)
                .findFirst()
                .orElseThrow();
        assertThat(vacated.node()).isEqualTo(b.nodeId());
        assertThat(vacated.expired()).isFalse();
    }

    @Test
    void aUserIsOnlineWhileAnyNodeHasOneOfItsConnections() {
        Hub a = node();
        Hub b = node();
        ConcurrentLinkedQueue<OccupancyEvent> onA = record(a);
        ConcurrentLinkedQueue<OccupancyEvent> onB = record(b);
        linked(a, onA, b, onB);

        Disposable onNodeA = a.connected(new ClientInfo("a-1", "alice"));
        await().atMost(TIMEOUT).until(() -> seen(onB, "alice").size() == 1);
        Disposable onNodeB = b.connected(new ClientInfo("b-1", "alice"));
        await().atMost(TIMEOUT).until(() -> members("u:alice") == 2);
        onNodeA.dispose();
        await().atMost(TIMEOUT).until(() -> members("u:alice") == 1);
        onNodeB.dispose();
        await().atMost(TIMEOUT)
                .until(() ->
                        seen(onA, "alice").size() == 2 && seen(onB, "alice").size() == 2);
        assertThat(seen(onA, "alice")).containsExactly("ONLINE alice", "OFFLINE alice");
        assertThat(seen(onB, "alice")).containsExactly("ONLINE alice", "OFFLINE alice");
    }

    @Test
    void aNodeThatStopsCleanlyReportsItsChannelsVacatedAndLeavesNoKeys() {
        Hub a = node();
        Hub b = node();
        ConcurrentLinkedQueue<OccupancyEvent> onB = record(b);
        ConcurrentLinkedQueue<OccupancyEvent> onA = record(a);
        linked(a, onA, b, onB);

        a.subscribe("room").subscribe();
        a.connected(new ClientInfo("a-1", "carol"));
        await().atMost(TIMEOUT)
                .until(() -> seen(onB, "room").size() == 1 && seen(onB, "carol").size() == 1);
        a.dispose();
        await().atMost(TIMEOUT)
                .until(() -> seen(onB, "room").size() == 2 && seen(onB, "carol").size() == 2);
        assertThat(seen(onB, "carol")).containsExactly("ONLINE carol", "OFFLINE carol");
        assertThat(redis.command("EXISTS hub:{occ}:c:room")).isEqualTo(":0");
        assertThat(redis.command("EXISTS hub:{occ}:n:" + a.nodeId())).isEqualTo(":0");
        assertThat(redis.command("ZSCORE hub:{occ}:nodes " + a.nodeId())).isEqualTo("$-1");
        assertThat(redis.command("PTTL hub:{occ}:nodes")).startsWith(":").isNotEqualTo(":-1");
    }
}
