package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.client.HubProtocolClient;
import io.reactivehub.server.auth.TokenVerifier;
import io.reactivehub.server.config.ServerConfig;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/** The hub-protocol client's calls and its token supplier, against a real single node. */
class HubProtocolClientCallsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String SECRET = "0123456789abcdef0123456789abcdef-test-secret";
    private static final HubProtocolClient.Options FAST =
            HubProtocolClient.Options.DEFAULT.withBackoff(Duration.ofMillis(50), Duration.ofMillis(500));

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private ServerFixture node(ServerConfig config) {
        HubOptions options = new HubOptions(QueueLimits.DEFAULT)
                .withChannelRules(ChannelRules.parse(List.of("room:*=history:100,ttl:5m,presence,join-leave")));
        ServerFixture node = new ServerFixture(config, options);
        cleanup.add(node);
        return node;
    }

    private HubProtocolClient client(HubProtocolClient.Options options, URI... urls) {
        HubProtocolClient client = HubProtocolClient.connect(List.of(urls), options);
        cleanup.add(client::dispose);
        return client;
    }

    private static URI url(ServerFixture node) {
        return URI.create("ws://127.0.0.1:" + node.port() + "/hub");
    }

    private static String token(String subject, Instant exp, String secret) throws Exception {
        return AuthIT.token(
                new MACSigner(secret), JWSAlgorithm.HS256, subject, exp, null, List.of("room:*"), List.of("room:*"));
    }

    private static void awaitConnected(HubProtocolClient client) {
        await().atMost(TIMEOUT)
                .ignoreExceptions()
                .until(() -> client.states().blockFirst(TIMEOUT) instanceof HubProtocolClient.Connected);
    }

    @Test
    void theTokenSupplierKeepsTheConnectionPastEachTokensExpiry() throws Exception {
        ServerFixture node = node(ServerConfig.DEFAULT.withTokens(TokenVerifier.hmac(SECRET)));
        AtomicInteger calls = new AtomicInteger();
        List<Instant> expiries = new CopyOnWriteArrayList<>();
        HubProtocolClient client = client(
                FAST.withTokens(() -> Mono.fromCallable(() -> {
                    calls.incrementAndGet();
                    Instant exp = Instant.now().plusSeconds(5);
                    expiries.add(exp);
                    return token("ann", exp, SECRET);
                })),
                url(node));
        List<HubProtocolClient.State> states = new CopyOnWriteArrayList<>();
        Disposable watch = client.states().subscribe(states::add);
        cleanup.add(watch::dispose);
        awaitConnected(client);

        // Each token lives 5 s; the client refreshes before each exp, so the hub never closes 4003.
        await().atMost(TIMEOUT).until(() -> calls.get() >= 3);
        await().atMost(TIMEOUT)
                .until(() -> Instant.now().isAfter(expiries.get(0).plusSeconds(1)));
        assertThat(client.publish("room:1", "\"still here\"")
                        .block(TIMEOUT)
                        .path("ok")
                        .asBoolean())
                .isTrue();
        assertThat(states)
                .as("one connection, never lost")
                .hasSize(2)
                .first()
                .isInstanceOf(HubProtocolClient.Connecting.class);
        assertThat(states.get(1)).isInstanceOf(HubProtocolClient.Connected.class);
    }

    @Test
    void aTokenTheHubRefusesStopsTheClientWithTheHubsReason() throws Exception {
        ServerFixture node = node(ServerConfig.DEFAULT.withTokens(TokenVerifier.hmac(SECRET)));
        String forged = token("ann", Instant.now().plusSeconds(60), "another-secret-another-secret-0123456789");
        HubProtocolClient client = client(FAST.withTokens(() -> Mono.just(forged)), url(node));

        HubProtocolClient.State last = client.states().blockLast(TIMEOUT);

        assertThat(last).isInstanceOf(HubProtocolClient.Closed.class);
        assertThat(((HubProtocolClient.Closed) last).reason()).contains("401").contains("signature");
        assertThat(client.publish("room:1", "1")
                        .onErrorResume(e -> Mono.empty())
                        .block(TIMEOUT))
                .isNull();
    }

    @Test
    void aDeadUrlIsRetriedWithGrowingJitteredDelays() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort(); // closed again: connections to it are refused
        }
        HubProtocolClient client = client(
                HubProtocolClient.Options.DEFAULT.withBackoff(Duration.ofMillis(10), Duration.ofSeconds(10)),
                URI.create("ws://127.0.0.1:" + port + "/hub"));
        List<Duration> delays = new CopyOnWriteArrayList<>();
        Disposable watch = client.states()
                .filter(s -> s instanceof HubProtocolClient.Disconnected)
                .subscribe(s -> delays.add(((HubProtocolClient.Disconnected) s).retryIn()));
        cleanup.add(watch::dispose);

        await().atMost(TIMEOUT).until(() -> delays.size() >= 10);
        client.dispose();

        for (int i = 0; i < 10; i++) {
            long cap = 10L << i; // full jitter: uniform in [0, min(max, min * 2^attempt)]
            assertThat(delays.get(i).toMillis()).as("attempt %d", i + 1).isBetween(0L, cap);
        }
        long early = delays.subList(0, 3).stream()
                .mapToLong(Duration::toMillis)
                .max()
                .orElseThrow();
        long late = delays.subList(6, 10).stream()
                .mapToLong(Duration::toMillis)
                .max()
                .orElseThrow();
        assertThat(late).as("the backoff grows").isGreaterThan(early);
        assertThat(delays.stream().distinct().count()).as("jittered").isGreaterThan(5);
    }

    @Test
    void joinLeavePresenceAndHistoryOnAChannelThatKeepsThem() {
        ServerFixture node = node(ServerConfig.DEFAULT);
        HubProtocolClient ann = client(FAST, url(node));
        HubProtocolClient bob = client(FAST, url(node));
        List<HubProtocolClient.Event> annSees = new CopyOnWriteArrayList<>();
        Disposable annSub = ann.subscribe("room:1", true).subscribe(annSees::add);
        cleanup.add(annSub::dispose);
        await().atMost(TIMEOUT).until(() -> annSees.stream().anyMatch(e -> e instanceof HubProtocolClient.Subscribed));

        List<ClientInfo> alone = ann.presence("room:1").block(TIMEOUT);
        assertThat(alone).hasSize(1);
        ClientInfo annInfo = alone.get(0);

        Disposable bobSub = bob.subscribe("room:1").subscribe();
        await().atMost(TIMEOUT)
                .until(() -> annSees.stream()
                        .anyMatch(e -> e instanceof HubProtocolClient.Join j
                                && !j.client().equals(annInfo)));
        ClientInfo bobInfo = annSees.stream()
                .filter(e ->
                        e instanceof HubProtocolClient.Join j && !j.client().equals(annInfo))
                .map(e -> ((HubProtocolClient.Join) e).client())
                .findFirst()
                .orElseThrow();
        List<ClientInfo> present = ann.presence("room:1").block(TIMEOUT);
        assertThat(present).containsExactlyInAnyOrder(annInfo, bobInfo);

        for (int i = 1; i <= 3; i++) {
            bob.publish("room:1", "{\"n\":" + i + "}").block(TIMEOUT);
        }
        HubProtocolClient.History all = ann.history("room:1", null, null).block(TIMEOUT);
        assertThat(all.messages()).extracting(p -> p.data().path("n").asInt()).containsExactly(1, 2, 3);
        assertThat(all.top().offset()).isEqualTo(all.messages().get(2).offset());
        HubProtocolClient.History after =
                ann.history("room:1", 10, all.messages().get(0).offset()).block(TIMEOUT);
        assertThat(after.messages()).extracting(p -> p.data().path("n").asInt()).containsExactly(2, 3);

        bobSub.dispose();
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(annSees).contains(new HubProtocolClient.Leave("room:1", bobInfo)));
    }

    @Test
    void aRefusedCallCarriesTheHubsErrorCode() {
        ServerFixture node = node(ServerConfig.DEFAULT);
        HubProtocolClient client = client(FAST, url(node));

        Throwable noHistory = client.history("plain", null, null)
                .map(h -> (Throwable) null)
                .onErrorResume(Mono::just)
                .block(TIMEOUT);

        assertThat(noHistory).isInstanceOf(HubProtocolClient.CommandException.class);
        assertThat(((HubProtocolClient.CommandException) noHistory).code()).isEqualTo(115);
    }

    @Test
    void aPublishMadeWhileConnectingWaitsForTheConnection() throws Exception {
        ServerFixture node = node(ServerConfig.DEFAULT);
        int dead;
        try (ServerSocket free = new ServerSocket(0)) {
            dead = free.getLocalPort();
        }
        HubProtocolClient subscriber = client(FAST, url(node));
        List<HubProtocolClient.Event> events = new CopyOnWriteArrayList<>();
        Disposable sub = subscriber.subscribe("room:2").subscribe(events::add);
        cleanup.add(sub::dispose);
        await().atMost(TIMEOUT).until(() -> events.stream().anyMatch(e -> e instanceof HubProtocolClient.Subscribed));

        // The first URL refuses; the publish is held until the second one answers.
        HubProtocolClient publisher = client(FAST, URI.create("ws://127.0.0.1:" + dead + "/hub"), url(node));
        long offset = publisher
                .publish("room:2", "\"queued\"")
                .block(TIMEOUT)
                .path("offset")
                .asLong();

        await().atMost(TIMEOUT)
                .until(() -> events.stream()
                        .anyMatch(e -> e instanceof HubProtocolClient.Publication p
                                && p.offset() == offset
                                && p.data().asText().equals("queued")));
    }
}
