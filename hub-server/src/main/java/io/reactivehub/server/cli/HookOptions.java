package io.reactivehub.server.cli;

import io.reactivehub.server.hooks.Hooks;
import io.reactivehub.server.hooks.HttpHooks;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** The {@code serve} options of the HTTP hooks ({@code --proxy-*}), mixed into {@link ServeCommand}. */
final class HookOptions {
    @Option(
            names = "--proxy-connect",
            paramLabel = "URL",
            defaultValue = "${env:HUB_PROXY_CONNECT}",
            description = "POST each connection without a (valid) token to this URL before its upgrade: the backend "
                    + "allows it (user, info, channels, expiry) or refuses it (HUB_PROXY_CONNECT)")
    String connect;

    @Option(
            names = "--proxy-refresh",
            paramLabel = "URL",
            defaultValue = "${env:HUB_PROXY_REFRESH}",
            description = "POST a connection whose expiry (set by the connect hook) came: the backend extends or "
                    + "ends it (HUB_PROXY_REFRESH)")
    String refresh;

    @Option(
            names = "--proxy-subscribe",
            paramLabel = "URL",
            defaultValue = "${env:HUB_PROXY_SUBSCRIBE}",
            description = "POST each subscribe the token does not allow: the backend allows or denies it "
                    + "(HUB_PROXY_SUBSCRIBE)")
    String subscribe;

    @Option(
            names = "--proxy-publish",
            paramLabel = "URL",
            defaultValue = "${env:HUB_PROXY_PUBLISH}",
            description = "POST each client publish: the backend allows, denies or rewrites it (HUB_PROXY_PUBLISH)")
    String publish;

    @Option(
            names = "--proxy-rpc",
            paramLabel = "URL",
            defaultValue = "${env:HUB_PROXY_RPC}",
            description = "POST each client rpc {\"op\":\"rpc\",\"method\":..,\"data\":..}: the backend answers it "
                    + "(HUB_PROXY_RPC)")
    String rpc;

    @Option(
            names = "--proxy-timeout",
            paramLabel = "DURATION",
            defaultValue = "${env:HUB_PROXY_TIMEOUT:-" + Hooks.DEFAULT_TIMEOUT + "}",
            converter = ServeCommand.DurationConverter.class,
            description = "How long a hook call may take before the client gets error 119 (connect: close 1013; "
                    + "also bounded by --handshake-timeout) (HUB_PROXY_TIMEOUT). Default: ${DEFAULT-VALUE}")
    Duration timeout;

    @Option(
            names = "--proxy-headers",
            paramLabel = "NAME[,NAME...]",
            split = ",",
            defaultValue = "${env:HUB_PROXY_HEADERS}",
            description = "Request headers sent to the connect hook (HUB_PROXY_HEADERS). Default: none")
    List<String> headers;

    @Option(
            names = "--proxy-cookies",
            paramLabel = "NAME[,NAME...]",
            split = ",",
            defaultValue = "${env:HUB_PROXY_COOKIES}",
            description = "Cookies sent to the connect hook (HUB_PROXY_COOKIES). Default: none")
    List<String> cookies;

    @Option(
            names = "--proxy-max-response-size",
            paramLabel = "BYTES",
            defaultValue = "${env:HUB_PROXY_MAX_RESPONSE_SIZE:-" + HttpHooks.DEFAULT_MAX_RESPONSE_SIZE + "}",
            description = "Largest hook answer accepted; a larger one is error 119 (HUB_PROXY_MAX_RESPONSE_SIZE). "
                    + "Default: ${DEFAULT-VALUE}")
    int maxResponseSize;

    @Option(
            names = "--proxy-max-connections",
            paramLabel = "N",
            defaultValue = "${env:HUB_PROXY_MAX_CONNECTIONS:-" + HttpHooks.DEFAULT_MAX_CONNECTIONS + "}",
            description = "Connections to the hook backends at once; up to four times as many calls wait for one, "
                    + "more fail with 119 (HUB_PROXY_MAX_CONNECTIONS). Default: ${DEFAULT-VALUE}")
    int maxConnections;

    /** The hooks these options ask for ({@link Hooks#NONE} without any URL). */
    Hooks hooks() {
        HttpHooks.Endpoints endpoints = new HttpHooks.Endpoints(
                uri("--proxy-connect", connect),
                uri("--proxy-refresh", refresh),
                uri("--proxy-subscribe", subscribe),
                uri("--proxy-publish", publish),
                uri("--proxy-rpc", rpc));
        Hooks.Builder builder = Hooks.builder()
                .timeout(timeout)
                .forwardHeaders(headers == null ? List.of() : headers)
                .forwardCookies(cookies == null ? List.of() : cookies);
        if (!endpoints.any()) {
            if ((headers != null && !headers.isEmpty()) || (cookies != null && !cookies.isEmpty())) {
                throw new IllegalArgumentException("--proxy-headers and --proxy-cookies need --proxy-connect");
            }
            return Hooks.NONE;
        }
        return HttpHooks.create(timeout, maxResponseSize, maxConnections)
                .applyTo(builder, endpoints)
                .build();
    }

    private static @Nullable URI uri(String option, @Nullable String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return new URI(value.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(option + " is not a URL: " + e.getMessage());
        }
    }
}
