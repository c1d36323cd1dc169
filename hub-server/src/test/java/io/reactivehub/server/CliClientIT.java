package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ChannelRules;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.redis.RedisBroker;
import io.reactivehub.core.testing.RedisProcess;
import io.reactivehub.server.auth.TokenVerifier;
import io.reactivehub.server.config.ServerConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The jar's command line, run as a real separate JVM against a real server. */
class CliClientIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private ServerFixture fixture = new ServerFixture();
    private final List<Cli> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(cli -> cli.process.destroyForcibly());
        fixture.close();
    }

    /** One CLI process with its stdout and stderr collected line by line. */
    final class Cli {
        final Process process;
        final BlockingQueue<String> out = new LinkedBlockingQueue<>();
        final BlockingQueue<String> err = new LinkedBlockingQueue<>();

        Cli(String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    "io.reactivehub.server.cli.HubCommand"));
            command.addAll(List.of(args));
            process = new ProcessBuilder(command).start();
            pump(process.getInputStream(), out);
            pump(process.getErrorStream(), err);
            started.add(this);
        }

        private final List<Thread> pumps = new ArrayList<>();

        private void pump(InputStream stream, BlockingQueue<String> lines) {
            Thread t = new Thread(() -> {
                try (BufferedReader reader =
                        new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = reader.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // process ended
                }
            });
            t.setDaemon(true);
            t.start();
            pumps.add(t);
        }

        void type(String line) throws IOException {
            OutputStream stdin = process.getOutputStream();
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }

        String nextLine() throws InterruptedException {
            String line = out.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(line).as("a line on stdout (stderr: %s)", err).isNotNull();
            return line;
        }

        /** Waits for the process to exit and for everything it printed to be collected. */
        int exitCode() throws InterruptedException {
            assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .as("process exited")
                    .isTrue();
            for (Thread pump : pumps) {
                pump.join(WAIT.toMillis());
            }
            return process.exitValue();
        }
    }

    private String url(String path) {
        return "ws://127.0.0.1:" + fixture.port() + path;
    }

    @Test
    void twoTerminalsChatAndEofClosesCleanly() throws Exception {
        Cli alice = new Cli("client", url("/ws/chat"));
        Cli bob = new Cli("client", url("/ws/chat"));
        await().atMost(WAIT).until(() -> fixture.hub.subscriberCount(ChannelName.of("chat")) == 2);
        alice.type("hello from alice");
        assertThat(alice.nextLine()).isEqualTo("hello from alice");
        assertThat(bob.nextLine()).isEqualTo("hello from alice");
        bob.type("hi alice");
        assertThat(alice.nextLine()).isEqualTo("hi alice");
        assertThat(bob.nextLine()).isEqualTo("hi alice");
        alice.process.getOutputStream().close();
        assertThat(alice.exitCode()).isZero();
        assertThat(alice.err).singleElement().asString().startsWith("connected to " + url("/ws/chat"));
        await().atMost(WAIT).until(() -> fixture.hub.subscriberCount(ChannelName.of("chat")) == 1);
    }

    @Test
    void anUnreachableServerGivesOneLineOnStderrAndExitCode1() throws Exception {
        int freePort;
        try (ServerSocket probe = new ServerSocket(0)) {
            freePort = probe.getLocalPort();
        }
        Cli cli = new Cli("client", "ws://127.0.0.1:" + freePort + "/ws");
        assertThat(cli.exitCode()).isEqualTo(1);
        assertThat(cli.err).hasSize(1);
        assertThat(cli.err.peek())
                .startsWith("error: cannot talk to ws://127.0.0.1:" + freePort)
                .contains("refused");
    }

    @Test
    void anErrorCloseFromTheServerGivesOneLineOnStderrAndExitCode1() throws Exception {
        fixture.close();
        fixture = new ServerFixture(ServerConfig.DEFAULT.withMaxMessageSize(8));
        Cli cli = new Cli("client", url("/ws"));
        await().atMost(WAIT).until(() -> fixture.hub.channelCount() == 1);
        cli.type("this line is longer than eight bytes");
        assertThat(cli.exitCode()).isEqualTo(1);
        assertThat(cli.err).hasSize(2);
        assertThat(cli.err)
                .last()
                .isEqualTo("error: server closed the connection: 1009 " + "Max frame length of 8 has been exceeded.");
    }

    @Test
    void pipedInputGetsItsEchoBeforeTheClientCloses() throws Exception {
        Cli cli = new Cli("client", "--linger", "30s", url("/ws/pipe")); // ends as soon as the echo is back
        cli.type("hi");
        cli.process.getOutputStream().close(); // end of input right after the line, as `echo hi | client`

        assertThat(cli.nextLine()).isEqualTo("hi");
        assertThat(cli.exitCode()).isZero();
    }

    @Test
    void aServerThatDiesWithoutAWordIsAnErrorWithExitCode1() throws Exception {
        try (ServerProcess server = ServerProcess.start()) {
            Cli cli = new Cli("client", "ws://127.0.0.1:" + server.port + "/ws/doomed");
            await().atMost(WAIT).until(() -> cli.err.stream().anyMatch(l -> l.startsWith("connected to ")));

            server.kill(); // SIGKILL: no close frame

            assertThat(cli.exitCode()).isEqualTo(1);
            assertThat(cli.err)
                    .last()
                    .asString()
                    .startsWith("error: connection to ws://127.0.0.1:" + server.port
                            + "/ws/doomed lost: the server went away without a close frame");
        }
    }

    @Test
    void aRefusedUpgradeShowsTheServersReasonAndATokenGetsIn() throws Exception {
        fixture.close();
        String secret = "0123456789abcdef0123456789abcdef-cli-secret";
        fixture = new ServerFixture(ServerConfig.DEFAULT.withTokens(TokenVerifier.hmac(secret)));

        Cli refused = new Cli("client", url("/ws/private"));
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err)
                .containsExactly("error: cannot talk to " + url("/ws/private")
                        + ": the server refused the connection: 401 Unauthorized: "
                        + "missing token: send Authorization: Bearer <jwt> or ?token=<jwt>");

        String token = AuthIT.token(
                new MACSigner(secret),
                JWSAlgorithm.HS256,
                "ann",
                Instant.now().plusSeconds(600),
                null,
                List.of("private"),
                List.of("private"));
        Cli admitted = new Cli("client", "--token", token, "--header", "X-Trace: 1", url("/ws/private"));
        admitted.type("let me in");
        assertThat(admitted.nextLine()).isEqualTo("let me in");
        admitted.process.getOutputStream().close();
        assertThat(admitted.exitCode()).isZero();
    }

    @Test
    void inHubModeTheClientPrintsOffsetsReconnectsToTheNextNodeAndSaysSo() throws Exception {
        try (RedisProcess redis = RedisProcess.start()) {
            HubOptions options = new HubOptions(QueueLimits.DEFAULT)
                    .withChannelRules(ChannelRules.parse(List.of("room:*=history:100")))
                    .withBroker(
                            () -> RedisBroker.connect(RedisBroker.parseUris(redis.uri()), RedisBroker.Options.DEFAULT));
            ServerFixture first = new ServerFixture(ServerConfig.DEFAULT, options);
            ServerFixture second = new ServerFixture(ServerConfig.DEFAULT, options);
            try {
                Cli cli = new Cli(
                        "client",
                        "--channel",
                        "room:1",
                        "ws://127.0.0.1:" + first.port() + "/hub",
                        "ws://127.0.0.1:" + second.port() + "/hub");
                cli.type("one"); // published once the channel is subscribed
                await().atMost(WAIT).until(() -> cli.err.contains("subscribed to room:1 at offset 0"));
                assertThat(cli.nextLine()).isEqualTo("room:1 1: \"one\"");

                // The node shuts down (1001): the client moves to the next one at once, by itself.
                first.server.shutdown(Duration.ofSeconds(10));
                await().atMost(WAIT)
                        .until(() -> cli.err.contains("subscribed to room:1 at offset 1, missed messages recovered"));
                cli.type("{\"n\":2}");
                assertThat(cli.nextLine()).isEqualTo("room:1 2: {\"n\":2}");
                cli.process.getOutputStream().close();

                assertThat(cli.exitCode()).isZero();
                assertThat(cli.err).contains("disconnected: 1001 server shutting down; reconnecting in 0ms");
                assertThat(cli.err)
                        .contains("connected to ws://127.0.0.1:" + second.port()
                                + "/hub (subscriptions recover what they missed)");
            } finally {
                first.close();
                second.close();
            }
        }
    }

    @Test
    void helpListsEveryServerOption() throws Exception {
        Cli cli = new Cli("--help");
        assertThat(cli.exitCode()).isZero();
        String help = String.join("\n", cli.out);
        assertThat(help)
                .contains(
                        "--host",
                        "--port",
                        "--max-message-size",
                        "--queue-max-messages",
                        "--queue-max-bytes",
                        "--slow-consumer",
                        "--close-timeout",
                        "HUB_PORT",
                        "client");
    }

    @Test
    void aBadOptionValueIsAClearErrorWithExitCode2() throws Exception {
        Cli cli = new Cli("--slow-consumer", "sometimes");
        assertThat(cli.exitCode()).isEqualTo(2);
        assertThat(String.join("\n", cli.err)).contains("not a policy");
    }

    private void restartWithTls() throws Exception {
        fixture.close();
        fixture = new ServerFixture(ServerConfig.DEFAULT.withTls(new ServerConfig.TlsFiles(
                Path.of(getClass().getResource("/tls/cert.pem").toURI()),
                Path.of(getClass().getResource("/tls/key.pem").toURI()))));
    }

    @Test
    void overWssWithInsecureTheClientChats() throws Exception {
        restartWithTls();
        Cli cli = new Cli("client", "--insecure", "wss://127.0.0.1:" + fixture.port() + "/ws/secure");
        await().atMost(WAIT).until(() -> fixture.hub.subscriberCount(ChannelName.of("secure")) == 1);
        cli.type("over tls");
        assertThat(cli.nextLine()).isEqualTo("over tls");
        cli.process.getOutputStream().close();
        assertThat(cli.exitCode()).isZero();
    }

    @Test
    void overWssASelfSignedCertificateIsRefusedWithoutInsecure() throws Exception {
        restartWithTls();
        Cli cli = new Cli("client", "wss://127.0.0.1:" + fixture.port() + "/ws/secure");
        assertThat(cli.exitCode()).isEqualTo(1);
        assertThat(cli.err).hasSize(1);
        assertThat(cli.err.peek()).startsWith("error: cannot talk to wss://");
        assertThat(fixture.hub.channelCount()).isZero();
    }
}
