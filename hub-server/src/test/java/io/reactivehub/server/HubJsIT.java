package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.server.auth.TokenVerifier;
import io.reactivehub.server.config.ServerConfig;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** hub.js's API, run in a real headless Chromium against a real hub. */
class HubJsIT {
    private ServerFixture node;
    private Browser browser;

    @BeforeEach
    void start() throws Exception {
        Browser.assumeAvailable();
        node = new ServerFixture(
                ServerConfig.DEFAULT,
                new HubOptions(QueueLimits.DEFAULT)
                        .withChannelRules(ChannelRules.parse(List.of("room:*=history:100,presence"))));
        browser = Browser.start(1024, 768);
        browser.driver.get("http://127.0.0.1:" + node.port() + "/demo/");
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (node != null) {
            node.close();
        }
    }

    /** Runs an async function body in the page with {@code Hub}, {@code HubError}, {@code ErrorCode} in scope. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> run(String body, Object... args) {
        Object result = browser.driver.executeAsyncScript(
                "const done = arguments[arguments.length - 1]; const args = [...arguments].slice(0, -1);"
                        + "import('/hub.js').then(async ({ Hub, HubError, TimeoutError, ErrorCode }) => {"
                        + body
                        + "}).then(done, e => done({ failure: String(e && e.stack || e) }));",
                args);
        assertThat((Map<String, Object>) result).doesNotContainKey("failure");
        return (Map<String, Object>) result;
    }

    private static Object field(Object map, String key) {
        return ((Map<?, ?>) map).get(key);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return (List<Object>) value;
    }

    @Test
    void publishRepliesWithOffsetAndEpochAndHistoryAndPresenceAnswer() {
        Map<String, Object> out = run("""
                const hub = new Hub('/hub');
                const states = [];
                hub.on('state', s => states.push(s.state));
                hub.connect();
                const sub = hub.subscribe('room:api');
                const publications = [];
                sub.on('publication', p => publications.push(p));
                const subscribed = await new Promise(r => sub.on('subscribed', r));
                const first = await hub.publish('room:api', { n: 1 });
                const second = await hub.publish('room:api', 'two');
                await new Promise(r => { const check = () => publications.length >= 2 ? r() : setTimeout(check, 20); check(); });
                const history = await hub.history('room:api', { limit: 10 });
                const since = await hub.history('room:api', { since: 1 });
                const presence = await hub.presence('room:api');
                await hub.close();
                return { states, subscribed, first, second, publications, history, since, presence, state: hub.state };
                """);
        assertThat(out.get("states")).isEqualTo(List.of("connecting", "connected", "closed"));
        Map<?, ?> subscribed = (Map<?, ?>) out.get("subscribed");
        assertThat(subscribed.get("offset")).isEqualTo(0L);
        assertThat(subscribed.get("recovered")).isEqualTo(false);
        String epoch = (String) subscribed.get("epoch");
        assertThat(epoch).isNotEmpty();
        assertThat(out.get("first")).isEqualTo(Map.of("offset", 1L, "epoch", epoch, "subscribers", 1L));
        assertThat(((Map<?, ?>) out.get("second")).get("offset")).isEqualTo(2L);
        assertThat(out.get("publications"))
                .isEqualTo(List.of(
                        Map.of("channel", "room:api", "offset", 1L, "epoch", epoch, "data", Map.of("n", 1L)),
                        Map.of("channel", "room:api", "offset", 2L, "epoch", epoch, "data", "two")));
        assertThat(out.get("history"))
                .isEqualTo(Map.of(
                        "offset",
                        2L,
                        "epoch",
                        epoch,
                        "messages",
                        List.of(Map.of("offset", 1L, "data", Map.of("n", 1L)), Map.of("offset", 2L, "data", "two")),
                        "truncated",
                        false));
        assertThat(((Map<?, ?>) out.get("since")).get("messages"))
                .isEqualTo(List.of(Map.of("offset", 2L, "data", "two")));
        assertThat(list(out.get("presence"))).hasSize(1);
        assertThat(out.get("state")).isEqualTo(Map.of("state", "closed", "reason", "closed by the application"));
    }

    @Test
    void errorRepliesRejectWithTypedHubErrors() {
        Map<String, Object> out = run("""
                const hub = new Hub('/hub', { timeout: 30000 });
                const describe = e => ({ hubError: e instanceof HubError, name: e.name, code: e.code });
                const notConnected = await hub.history('room:x').catch(describe);
                hub.connect();
                const invalid = await hub.publish('not a channel!', 1).catch(describe);
                const noPresence = await hub.presence('other:1').catch(describe);
                const sub = hub.subscribe('no spaces allowed');
                const refused = await new Promise(r => sub.on('error', e => r(describe(e.error))));
                const ended = await new Promise(r => sub.state === 'unsubscribed' ? r(sub.state) : sub.on('unsubscribed', () => r(sub.state)));
                await hub.close();
                const closed = await hub.publish('room:x', 1).catch(describe);
                return { notConnected, invalid, noPresence, refused, ended, closed, codes: ErrorCode };
                """);
        assertThat(out.get("notConnected"))
                .isEqualTo(Map.of("hubError", true, "name", "HubError", "code", "disconnected"));
        assertThat(out.get("invalid")).isEqualTo(Map.of("hubError", true, "name", "HubError", "code", 105L));
        assertThat(out.get("noPresence")).isEqualTo(Map.of("hubError", true, "name", "HubError", "code", 115L));
        assertThat(out.get("refused")).isEqualTo(Map.of("hubError", true, "name", "HubError", "code", 105L));
        assertThat(out.get("ended")).isEqualTo("unsubscribed");
        assertThat(out.get("closed")).isEqualTo(Map.of("hubError", true, "name", "HubError", "code", "closed"));
    }

    @Test
    void aPositionTheHubCannotRecoverSurfacesAsResyncNeverAsASilentGap() {
        Map<String, Object> out = run("""
                const hub = new Hub('/hub');
                hub.connect();
                const events = [];
                const stale = hub.subscribe('room:resync', { since: { offset: 5, epoch: 'an-epoch-long-gone' } });
                for (const type of ['subscribed', 'resync', 'publication']) stale.on(type, e => events.push({ type, ...e }));
                await new Promise(r => stale.on('resync', r));
                const delivered = new Promise(r => stale.on('publication', r));
                await hub.publish('room:resync', 'after');
                await delivered;
                await hub.close();
                return { events };
                """);
        List<Object> events = list(out.get("events"));
        assertThat(events).extracting(e -> field(e, "type")).containsExactly("subscribed", "resync", "publication");
        assertThat(((Map<?, ?>) events.get(0)).get("recovered")).isEqualTo(false);
        assertThat(((Map<?, ?>) events.get(2)).get("offset")).isEqualTo(1L);
    }

    @Test
    void publishesWaitForTheConnectionAndSubscriptionsRecoverAfterALostConnection() {
        Map<String, Object> out = run("""
                const hub = new Hub('/hub', { minBackoff: 50, maxBackoff: 200 });
                const queued = hub.publish('room:queue', 'early');
                hub.connect();
                const early = await queued;
                const sub = hub.subscribe('room:queue');
                const events = [];
                for (const type of ['subscribed', 'resync', 'publication']) sub.on(type, e => events.push({ type, offset: e.offset, recovered: e.recovered }));
                await new Promise(r => sub.on('subscribed', r));
                const live = new Promise(r => sub.on('publication', r));
                await hub.publish('room:queue', 'live');
                await live;
                // The browser goes offline: the socket is dropped and the hub client reconnects.
                const states = [];
                hub.on('state', s => states.push(s.state));
                const resubscribed = new Promise(r => sub.on('subscribed', r));
                window.dispatchEvent(new Event('offline'));
                const whileAway = hub.publish('room:queue', 'while away');
                await resubscribed;
                await whileAway;
                await new Promise(r => { const check = () => events.filter(e => e.type === 'publication').length >= 2 ? r() : setTimeout(check, 20); check(); });
                await hub.close();
                return { early, events, states };
                """);
        assertThat(((Map<?, ?>) out.get("early")).get("offset")).isEqualTo(1L);
        assertThat(list(out.get("states"))).startsWith("disconnected", "connecting", "connected");
        List<Object> events = list(out.get("events"));
        assertThat(events)
                .extracting(e -> field(e, "type"))
                .containsExactly("subscribed", "publication", "subscribed", "publication");
        assertThat(events).extracting(e -> field(e, "recovered")).containsExactly(false, null, true, null);
        // The publish sent while away may be numbered before or after the resubscribe reads the
        // channel's top: either way it arrives once, after the live one.
        assertThat(events)
                .filteredOn(e -> "publication".equals(field(e, "type")))
                .extracting(e -> field(e, "offset"))
                .containsExactly(2L, 3L);
    }

    @Test
    void aConnectionThatStopsAnsweringIsGivenUpAndTheNextUrlTried() throws Exception {
        try (ServerSocket mute = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> MuteServer.acceptAndGoSilent(mute));
            acceptor.setDaemon(true);
            acceptor.start();
            Map<String, Object> out = run(
                    """
                    const [silent, alive] = args;
                    const hub = new Hub([silent, alive], { pingInterval: 300, pingTimeout: 700 });
                    const states = [];
                    hub.on('state', s => states.push(s));
                    hub.connect();
                    await new Promise(r => hub.on('state', s => s.state === 'connected' && s.url === alive && r()));
                    await hub.close();
                    return { states };
                    """, "ws://127.0.0.1:" + mute.getLocalPort() + "/hub", "ws://127.0.0.1:" + node.port() + "/hub");
            List<Object> states = list(out.get("states"));
            assertThat(states).extracting(s -> field(s, "state")).startsWith("connecting", "connected", "disconnected");
            assertThat(field(states.get(2), "reason")).isEqualTo("no answer to ping");
            assertThat(field(states.get(2), "code")).isEqualTo(1006L);
            assertThat(states).extracting(s -> field(s, "state")).endsWith("connecting", "connected", "closed");
        }
    }

    @Test
    void theTokenIsSentOnTheUrlAndRefreshedBeforeItExpires() throws Exception {
        String secret = "a-secret-of-at-least-32-bytes-for-hs256!";
        try (ServerFixture secured = new ServerFixture(
                ServerConfig.DEFAULT.withTokens(TokenVerifier.hmac(secret)),
                new HubOptions(QueueLimits.DEFAULT).withChannelRules(ChannelRules.parse(List.of("room:*=presence"))))) {
            // The first token lives 8 s: refreshed after 4 s; the connection outlives it (no 4003).
            Instant firstExpiry = Instant.now().plusSeconds(8);
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                tokens.add(AuthIT.token(
                        new MACSigner(secret),
                        JWSAlgorithm.HS256,
                        "dora",
                        i == 0 ? firstExpiry : Instant.now().plusSeconds(300),
                        null,
                        List.of("room:*"),
                        List.of("room:*")));
            }
            Map<String, Object> out =
                    run("""
                    const [url, tokens, firstExpiry] = args;
                    let calls = 0;
                    const hub = new Hub(url, { getToken: async () => tokens[calls++] });
                    const states = [];
                    hub.on('state', s => states.push(s.state));
                    hub.connect();
                    const sub = hub.subscribe('room:auth');
                    await new Promise(r => sub.on('subscribed', r));
                    const presence = await hub.presence('room:auth');
                    await new Promise(r => { const check = () => calls >= 2 && Date.now() > firstExpiry + 1500 ? r() : setTimeout(check, 100); check(); });
                    const after = await hub.publish('room:auth', 'still here');
                    await hub.close();
                    return { calls, states, presence, after };
                    """, "ws://127.0.0.1:" + secured.port() + "/hub", tokens, firstExpiry.toEpochMilli());
            assertThat(out.get("states"))
                    .as("one connection, past the first token's expiry")
                    .isEqualTo(List.of("connecting", "connected", "closed"));
            assertThat(out.get("calls")).isEqualTo(2L);
            assertThat(field(list(out.get("presence")).get(0), "user")).isEqualTo("dora");
            assertThat(field(out.get("after"), "offset")).isEqualTo(1L);
        }
    }
}
