package io.reactivehub.server.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.embedded.EmbeddedChannel;
import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.codec.HubPushCodec;
import io.reactivehub.server.HubMetrics;
import io.reactivehub.server.config.ServerConfig;
import io.reactivehub.server.protocol.HubProtocol;
import io.reactivehub.server.transport.ConnectionWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Subscriptions under forced interleavings: the hub completes an attach on its own thread while
 * the session leaves the channel on another.
 */
class SubscriptionsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final ChannelName ROOM = ChannelName.of("room");

    private final Hub real =
            Hub.create(new HubOptions(QueueLimits.DEFAULT).withChannelRules(ChannelRules.parse(List.of("*=presence"))));
    private final EmbeddedChannel channel = new EmbeddedChannel();
    /** What reached presence, in order: "join" and "leave". */
    private final List<String> presence = new CopyOnWriteArrayList<>();

    private final Sinks.One<Boolean> confirmed = Sinks.one();
    private final CountDownLatch joinMayProceed = new CountDownLatch(1);

    @AfterEach
    void tearDown() {
        real.dispose();
        channel.finishAndReleaseAll();
    }

    /**
     * The real hub, except that a confirmed attach completes when the test emits into
     * {@link #confirmed} (on the test's thread of choice), join waits for {@link #joinMayProceed},
     * and joins and leaves are recorded.
     */
    private Hub gatedHub() {
        return (Hub) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Hub.class}, (p, m, args) -> {
            if (m.getName().equals("attach") && args.length == 3) {
                return Mono.defer(() -> {
                    Disposable attached = real.attach((ChannelName) args[0], (ChannelListener) args[1]);
                    return confirmed.asMono().thenReturn(attached).doOnCancel(attached::dispose);
                });
            }
            if (m.getName().equals("join")) {
                return Mono.fromRunnable(() -> {
                    try {
                        joinMayProceed.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    presence.add("join");
                });
            }
            if (m.getName().equals("leave")) {
                return Mono.fromRunnable(() -> presence.add("leave"));
            }
            try {
                return m.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private Subscriptions subscribed() {
        Hub hub = gatedHub();
        Session session = new Session(
                new SessionContext(hub, ServerConfig.DEFAULT, new SessionRegistry(), new HubMetrics(hub, () -> 0)),
                new HubProtocol(HubPushCodec.INSTANCE),
                "127.0.0.1",
                null);
        Subscriptions subscriptions = session.subscriptions();
        ConnectionWriter writer = new ConnectionWriter(channel, channel, QueueLimits.DEFAULT, () -> {}, n -> {});
        subscriptions
                .subscribe(ROOM, new Deliveries(writer, HubPushCodec.INSTANCE), null)
                .subscribe(null, e -> {});
        return subscriptions;
    }

    @Test
    void aLeaveWhileTheAttachEntersPresenceComesAfterTheJoinNeverBeforeIt() throws Exception {
        Subscriptions subscriptions = subscribed();
        // The hub confirms on its own thread, which goes on to enter presence (held in join) ...
        Thread hubThread = new Thread(() -> confirmed.tryEmitValue(true), "hub");
        hubThread.start();
        await().atMost(TIMEOUT).until(() -> hubThread.getState() == Thread.State.TIMED_WAITING);
        // ... when the session leaves the channel on another (an unsubscribe, or the connection dropped).
        Thread sessionThread = new Thread(() -> subscriptions.unsubscribe(ROOM), "session");
        sessionThread.start();
        // The leave either waits for the join to be sent, or has happened already; the join goes on.
        await().atMost(TIMEOUT)
                .until(() -> sessionThread.getState() == Thread.State.BLOCKED
                        || sessionThread.getState() == Thread.State.TERMINATED);
        joinMayProceed.countDown();
        hubThread.join(TIMEOUT.toMillis());
        sessionThread.join(TIMEOUT.toMillis());

        assertThat(presence).containsExactly("join", "leave");
        assertThat(subscriptions.count()).isZero();
        assertThat(real.subscriberCount(ROOM)).isZero();
    }

    @Test
    void aSessionThatLeftBeforeTheAttachLandsNeverEntersPresenceAndIsDetached() {
        joinMayProceed.countDown();
        Subscriptions subscriptions = subscribed();
        assertThat(real.subscriberCount(ROOM)).isEqualTo(1);
        subscriptions.clear();
        confirmed.tryEmitValue(true);

        assertThat(presence).isEmpty();
        assertThat(real.subscriberCount(ROOM)).isZero();
    }
}
