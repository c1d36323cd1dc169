package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.client.HubProtocolClient;
import io.reactivehub.core.redis.RedisBroker;
import io.reactivehub.core.testing.RedisProcess;
import io.reactivehub.server.auth.TokenVerifier;
import io.reactivehub.server.config.ServerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Dimension;

/** The demo page (/demo/) in real headless Chromium windows, against real hub nodes. */
class DemoPageIT {
    private static final String RULES = "chat:*=history:100,ttl:10m,presence,join-leave";
    private static final String SECRET = "a-secret-of-at-least-32-bytes-for-hs256!";
    private static final Duration TIMEOUT = Browser.TIMEOUT;

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeEach
    void needsABrowser() {
        Browser.assumeAvailable();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            try {
                cleanup.get(i).close();
            } catch (Exception e) {
                System.err.println("cleanup: " + e);
            }
        }
    }

    private <T extends AutoCloseable> T owned(T resource) {
        cleanup.add(resource);
        return resource;
    }

    private Browser browser(int width, int height) throws Exception {
        return owned(Browser.start(width, height));
    }

    private static HubOptions rules() {
        return new HubOptions(QueueLimits.DEFAULT).withChannelRules(ChannelRules.parse(List.of(RULES)));
    }

    private static String token(String user) throws Exception {
        return AuthIT.token(
                new MACSigner(SECRET),
                JWSAlgorithm.HS256,
                user,
                Instant.now().plusSeconds(3600),
                null,
                List.of("chat:*"),
                List.of("chat:*"));
    }

    /** Opens the page, joins as {@code name}, and waits until the channel is joined. */
    private static void join(Browser b, String page, String name) {
        b.driver.get(page);
        b.find("#name").clear();
        b.find("#name").sendKeys(name);
        b.find("#join-button").click();
        b.waiting().until(d -> b.texts("#messages li.note").stream().anyMatch(t -> t.startsWith("joined ")));
    }

    private static void say(Browser b, String text) {
        b.find("#text").sendKeys(text);
        b.find("#send").click();
    }

    /** The page's messages as "offset who: text". */
    private static List<String> messages(Browser b) {
        return b.texts("#messages li.msg").stream().toList();
    }

    private static List<Long> offsets(Browser b) {
        @SuppressWarnings("unchecked")
        List<Object> raw = (List<Object>) b.driver.executeScript(
                "return [...document.querySelectorAll('#messages li.msg')].map(e => Number(e.dataset.offset))");
        return raw.stream().map(o -> ((Number) o).longValue()).toList();
    }

    @Test
    void twoPeopleChatSeeEachOtherWithOffsetsPresenceAndJoinLeave() throws Exception {
        ServerFixture node =
                owned(new ServerFixture(ServerConfig.DEFAULT.withTokens(TokenVerifier.hmac(SECRET)), rules()));
        String page = "http://127.0.0.1:" + node.port() + "/demo/?channel=chat:lobby&token=";
        Browser ann = browser(1280, 900);
        Browser bob = browser(1280, 900);

        join(ann, page + token("ann"), "Ann");
        ann.waiting().until(d -> ann.texts("#presence li").equals(List.of("ann (you)")));
        join(bob, page + token("bob"), "Bob");
        ann.waiting().until(d -> ann.texts("#messages li.note").contains("bob joined"));
        ann.waiting().until(d -> ann.texts("#presence li").containsAll(List.of("ann (you)", "bob")));
        bob.waiting().until(d -> bob.texts("#presence li").containsAll(List.of("ann", "bob (you)")));
        assertThat(ann.find("#state").getAttribute("data-state")).isEqualTo("connected");
        assertThat(ann.find("#node").getText()).isEqualTo("to 127.0.0.1:" + node.port());

        say(ann, "Hi Bob, anyone else around?");
        bob.waiting().until(d -> messages(bob).contains("#1AnnHi Bob, anyone else around?"));
        say(bob, "Just us <b>so far</b> :)");
        say(ann, "Great: offsets count up per channel.");
        for (Browser b : List.of(ann, bob)) {
            b.waiting().until(d -> messages(b).size() == 3);
            assertThat(messages(b))
                    .containsExactly(
                            "#1AnnHi Bob, anyone else around?",
                            "#2BobJust us <b>so far</b> :)",
                            "#3AnnGreat: offsets count up per channel.");
        }
        assertThat(ann.driver.findElements(org.openqa.selenium.By.cssSelector("#messages b")))
                .as("user text is text, never markup")
                .isEmpty();
        ann.screenshot(Path.of("target/demo-screenshot.png"));

        bob.close();
        ann.waiting().until(d -> ann.texts("#messages li.note").contains("bob left"));
        ann.waiting().until(d -> ann.texts("#presence li").equals(List.of("ann (you)")));

        ann.driver.manage().window().setSize(new Dimension(400, 860));
        ann.waiting().until(d -> ann.find("#presence").getRect().getWidth() < 400);
        ann.screenshot(Path.of("target/demo-screenshot-narrow.png"));
    }

    @Test
    void aPageFollowsItsNodesDeathToTheOtherNodeAndRecoversEveryMessage() throws Exception {
        RedisProcess redis = owned(RedisProcess.start());
        HubOptions options = rules().withBroker(() -> RedisBroker.connect(
                RedisBroker.parseUris(redis.uri()),
                new RedisBroker.Options(Duration.ofSeconds(2), Duration.ofSeconds(60))));
        ServerFixture survivor = owned(new ServerFixture(ServerConfig.DEFAULT, options));
        ServerProcess doomed = owned(ServerProcess.start("--redis", redis.uri(), "--channel-options", RULES));
        String a = "127.0.0.1:" + doomed.port;
        String b = "127.0.0.1:" + survivor.port();
        Browser carol = browser(1280, 900);
        join(
                carol,
                "http://" + b + "/demo/?channel=chat:numbers&servers=ws://" + a + "/hub,ws://" + b + "/hub",
                "Carol");
        assertThat(carol.find("#node").getText()).isEqualTo("to " + a);

        HubProtocolClient publisher =
                HubProtocolClient.connect(List.of(URI.create("ws://" + b + "/hub")), HubProtocolClient.Options.DEFAULT);
        cleanup.add(publisher::dispose);
        await().atMost(TIMEOUT)
                .ignoreExceptions()
                .until(() -> publisher.states().blockFirst(TIMEOUT) instanceof HubProtocolClient.Connected);
        // The page's subscription on node A is confirmed once a first message reaches it.
        await().atMost(TIMEOUT).ignoreExceptions().until(() -> {
            publish(publisher, 0);
            return !offsets(carol).isEmpty();
        });
        long first = offsets(carol).get(0);

        for (int n = 1; n <= 60; n++) {
            publish(publisher, n);
            if (n == 20) {
                doomed.kill(); // SIGKILL: the page's socket drops without a close frame
            }
        }
        long last = publish(publisher, 61);

        carol.waiting().until(d -> offsets(carol).contains(last));
        assertThat(offsets(carol))
                .as("gap-free and in order across the node's death")
                .isEqualTo(LongStream.rangeClosed(first, last).boxed().toList());
        assertThat(carol.texts("#messages li.note"))
                .anyMatch(t ->
                        t.matches("reconnected to " + b.replace(".", "\\.") + ", \\d+ missed messages? recovered"));
        assertThat(carol.find("#state").getAttribute("data-state")).isEqualTo("connected");
        assertThat(carol.find("#node").getText()).isEqualTo("to " + b);
        carol.driver.executeScript("document.querySelector('#messages .note-ok').scrollIntoView({block: 'center'})");
        carol.screenshot(Path.of("target/demo-screenshot-recovered.png"));
    }

    private static long publish(HubProtocolClient publisher, int n) {
        return publisher
                .publish("chat:numbers", "{\"name\":\"counter\",\"text\":\"message " + n + "\"}")
                .block(TIMEOUT)
                .path("offset")
                .asLong();
    }
}
