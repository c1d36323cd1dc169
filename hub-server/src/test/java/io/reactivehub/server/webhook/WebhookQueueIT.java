package io.reactivehub.server.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivehub.core.Hub;
import io.reactivehub.core.OccupancyEvent;
import io.reactivehub.server.config.WebhookConfig;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** The webhook's pending queue is bounded: past it the oldest events are dropped and counted. */
class WebhookQueueIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final AtomicInteger requests = new AtomicInteger();
    /** A receiver that takes requests and never answers: the first batch stays in flight. */
    private final DisposableServer silent = HttpServer.create()
            .host("127.0.0.1")
            .port(0)
            .handle((req, res) -> {
                requests.incrementAndGet();
                return Mono.never();
            })
            .bindNow(Duration.ofSeconds(30));

    private final Hub hub = Hub.create();
    private WebhookSender sender;

    @AfterEach
    void tearDown() {
        if (sender != null) {
            sender.close();
        }
        hub.dispose();
        silent.disposeNow(Duration.ofSeconds(10));
    }

    private OccupancyEvent event(int n) {
        return new OccupancyEvent(
                OccupancyEvent.Type.OCCUPIED, "c" + n, hub.nodeId(), Instant.now(), false, hub.nodeId());
    }

    @Test
    void eventsPastTheBoundDropTheOldestAndAreCounted() {
        sender = WebhookSender.start(
                hub,
                new WebhookConfig(
                        URI.create("http://127.0.0.1:" + silent.port() + "/hook"),
                        "webhook-test-secret-0123456789",
                        2,
                        1,
                        Duration.ofMinutes(5)));
        sender.offer(event(1)); // taken at once: in flight, unanswered
        await().atMost(TIMEOUT).until(() -> requests.get() == 1);
        for (int n = 2; n <= 6; n++) {
            sender.offer(event(n));
        }
        assertThat(sender.pending()).isEqualTo(2);
        assertThat(sender.dropped()).isEqualTo(3);
        assertThat(sender.sent()).isZero();
    }
}
