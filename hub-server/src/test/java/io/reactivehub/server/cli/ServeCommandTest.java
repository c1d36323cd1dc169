package io.reactivehub.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivehub.core.SlowConsumerPolicy;
import io.reactivehub.server.config.ServerConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line reads into ServerConfig, whose defaults are the only ones. */
class ServeCommandTest {

    private static ServerConfig parse(String... args) {
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs(args);
        return command.config();
    }

    @Test
    void withoutOptionsTheConfigurationIsServerConfigDefault() {
        // Each option falls back to a HUB_* variable: none of those may be set for this comparison.
        assertThat(System.getenv().keySet())
                .filteredOn(name -> name.startsWith("HUB_"))
                .isSubsetOf("HUB_REQUIRE_REDIS7", "HUB_REQUIRE_BROWSER", "HUB_LOG_LEVEL");
        assertThat(parse()).usingRecursiveComparison().isEqualTo(ServerConfig.DEFAULT);
    }

    @Test
    void optionsOverrideTheDefaults() {
        ServerConfig config = parse(
                "--port",
                "0",
                "--slow-consumer",
                "drop-oldest",
                "--ping-interval",
                "5s",
                "--idle-timeout",
                "1m",
                "--channel-options",
                "chat:*=history:10,presence",
                "--redis",
                "redis://127.0.0.1:6390",
                "--api-key",
                " ",
                "--no-demo");
        assertThat(config.port()).isZero();
        assertThat(config.queueLimits().policy()).isEqualTo(SlowConsumerPolicy.DROP_OLDEST);
        assertThat(config.pingInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.idleTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(config.channelRules()).hasToString("chat:*=history:10,ttl:5m,presence");
        assertThat(config.redis()).isEqualTo("redis://127.0.0.1:6390");
        assertThat(config.apiKey()).as("a blank key leaves the API off").isNull();
        assertThat(config.demo()).isFalse();
    }

    @Test
    void tlsCiphersDefaultToForwardSecretAeadSuitesAndCanBeChanged() {
        String cert = "cert.pem";
        String key = "key.pem";
        assertThat(parse("--tls-cert", cert, "--tls-key", key).tls().ciphers())
                .isEqualTo(ServerConfig.TlsFiles.DEFAULT_CIPHERS)
                .noneMatch(c -> c.startsWith("TLS_RSA_") || c.contains("CBC"));
        assertThat(parse("--tls-cert", cert, "--tls-key", key, "--tls-ciphers", "TLS_AES_128_GCM_SHA256, TLS_X")
                        .tls()
                        .ciphers())
                .containsExactly("TLS_AES_128_GCM_SHA256", "TLS_X");
        assertThatThrownBy(() -> parse("--tls-ciphers", "TLS_AES_128_GCM_SHA256"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jwtIssuerAndAudienceGoWithAKey() {
        ServerConfig config = parse(
                "--jwt-secret",
                "0123456789abcdef0123456789abcdef",
                "--jwt-issuer",
                "https://auth.example",
                "--jwt-audience",
                "hub");
        assertThat(config.tokens().issuer()).isEqualTo("https://auth.example");
        assertThat(config.tokens().audience()).isEqualTo("hub");
        assertThatThrownBy(() -> parse("--jwt-issuer", "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aWebhookNeedsItsSecretAndKeepsItsLimits() {
        ServerConfig config = parse(
                "--webhook",
                "http://127.0.0.1:9000/hook",
                "--webhook-secret",
                "0123456789abcdef",
                "--webhook-max-pending",
                "5",
                "--webhook-max-attempts",
                "2",
                "--webhook-timeout",
                "3s");
        assertThat(config.webhook()).isNotNull();
        assertThat(config.webhook().maxPending()).isEqualTo(5);
        assertThat(config.webhook().maxAttempts()).isEqualTo(2);
        assertThat(config.webhook().timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.webhook().toString()).doesNotContain("0123456789abcdef");
        assertThatThrownBy(() -> parse("--webhook", "http://127.0.0.1:9000/hook"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--webhook-secret");
        assertThatThrownBy(() -> parse("--webhook", "ftp://x/hook", "--webhook-secret", "0123456789abcdef"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http");
        assertThatThrownBy(() -> parse("--webhook", "http://x/hook", "--webhook-secret", "short"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("16 bytes");
    }
}
