package io.reactivehub.server.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.reactivehub.core.Durations;
import io.reactivehub.core.client.HubClient;
import io.reactivehub.server.config.ServerConfig;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Interactive client on hub-core's {@link HubClient}: each stdin line is sent as a text message;
 * each message received is printed on its own line; "connected" and errors go to stderr. The end
 * of input waits (up to {@code --linger}) for the echoes of the last lines, then closes cleanly
 * (exit 0); a refused upgrade (with the server's reason), a failed connection, a dead server, a
 * connection lost without a close frame or an error close prints one line on stderr and exits 1.
 */
@Command(
        name = "client",
        mixinStandardHelpOptions = true,
        description =
                "Connect to a WebSocket URL; send each stdin line as a text message, print each message received.")
final class ClientCommand implements Callable<Integer> {

    @Parameters(
            index = "0",
            paramLabel = "URL",
            description = "e.g. ws://localhost:8080/ws or ws://localhost:8080/ws/room; with --channel, a hub "
                    + "protocol URL such as ws://localhost:8080/hub")
    URI url;

    @Parameters(
            index = "1..*",
            paramLabel = "MORE_URLS",
            description = "With --channel: other nodes to reconnect to, in turn, when a connection is lost")
    List<URI> moreUrls;

    @Option(
            names = "--channel",
            paramLabel = "CHANNEL",
            description = "Hub protocol mode: subscribe to this channel (repeatable), print each message as "
                    + "'channel offset: data', reconnect and recover by itself; stdin lines are published to the "
                    + "first channel")
    List<String> channels;

    @Option(
            names = "--max-message-size",
            paramLabel = "BYTES",
            defaultValue = "" + HubClient.DEFAULT_MAX_MESSAGE_SIZE,
            description = "Largest message accepted from the server. Default: ${DEFAULT-VALUE}")
    int maxMessageSize;

    @Option(names = "--insecure", description = "wss:// only: accept any server certificate (self-signed, tests)")
    boolean insecure;

    @Option(
            names = "--ping-interval",
            paramLabel = "DURATION",
            defaultValue = ServerConfig.DEFAULT_PING_INTERVAL,
            converter = ServeCommand.DurationConverter.class,
            description = "Ping the server after this much silence. Default: ${DEFAULT-VALUE}")
    Duration pingInterval;

    @Option(
            names = "--idle-timeout",
            paramLabel = "DURATION",
            defaultValue = ServerConfig.DEFAULT_IDLE_TIMEOUT,
            converter = ServeCommand.DurationConverter.class,
            description = "Give up on a server silent this long (not even a pong). Default: ${DEFAULT-VALUE}")
    Duration idleTimeout;

    @Option(
            names = "--token",
            paramLabel = "JWT",
            description = "Send 'Authorization: Bearer JWT' with the upgrade (a hub started with --jwt-secret "
                    + "or --jwt-public-key requires one)")
    String token;

    @Option(
            names = {"-H", "--header"},
            paramLabel = "NAME:VALUE",
            description =
                    "An extra header of the upgrade request, e.g. 'Origin: https://app.example.com'; " + "repeatable")
    List<String> headers;

    @Option(
            names = "--linger",
            paramLabel = "DURATION",
            defaultValue = "2s",
            converter = ServeCommand.DurationConverter.class,
            description = "At the end of input, wait up to this long for the server to echo the lines still on "
                    + "their way (a channel sends its publisher its own messages) before closing. "
                    + "Default: ${DEFAULT-VALUE}")
    Duration linger;

    @Override
    public Integer call() {
        // The client reports failures itself, in one line; Reactor Netty's own warnings (with stack
        // traces) about the same failure would only bury it.
        for (String noisy : new String[] {"reactor", "io.netty"}) {
            ((Logger) LoggerFactory.getLogger(noisy)).setLevel(Level.OFF);
        }
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        HubClient.Options options;
        try {
            options = new HubClient.Options(pingInterval, idleTimeout, maxMessageSize, insecure, requestHeaders());
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            System.err.println("error: " + url + " is not a ws:// or wss:// URL");
            return 2;
        }
        if (channels != null && !channels.isEmpty()) {
            List<URI> urls = new ArrayList<>(List.of(url));
            if (moreUrls != null) {
                urls.addAll(moreUrls);
            }
            return new HubModeClient(urls, channels, options, linger, out).run();
        }
        if (moreUrls != null && !moreUrls.isEmpty()) {
            System.err.println("error: several URLs only with --channel (hub protocol mode)");
            return 2;
        }
        HubClient.Connection connection;
        try {
            connection = HubClient.connect(url, options).block();
        } catch (RuntimeException e) {
            System.err.println("error: cannot talk to " + url + ": " + describe(e));
            return 1;
        }
        System.err.println("connected to " + url + " (end of input closes; Ctrl-C quits)");
        Echoes echoes = new Echoes();
        AtomicBoolean closedByUs = new AtomicBoolean();
        Thread stdin = new Thread(() -> sendInput(connection, echoes, closedByUs), "stdin");
        stdin.setDaemon(true);
        stdin.start();
        try {
            connection
                    .messages()
                    .doOnNext(message -> {
                        print(out, message);
                        echoes.received(message);
                    })
                    .blockLast();
        } catch (HubClient.DeadServerException e) {
            System.err.println(
                    "error: no sign of life from " + url + " for " + Durations.format(idleTimeout) + "; gave up");
            return 1;
        } catch (RuntimeException e) {
            System.err.println("error: connection to " + url + " failed: " + describe(e));
            return 1;
        }
        WebSocketCloseStatus status = connection.closeStatus().block();
        if (status == null && !closedByUs.get()) {
            System.err.println("error: connection to " + url + " lost: the server went away without a close frame");
            return 1;
        }
        if (status != null && status.code() != 1000 && status.code() != 1005) {
            System.err.println("error: server closed the connection: " + status.code() + " " + status.reasonText());
            return 1;
        }
        return 0;
    }

    /** Sends each stdin line; at the end of input, lets the echoes of the last lines arrive, then closes. */
    private void sendInput(HubClient.Connection connection, Echoes echoes, AtomicBoolean closedByUs) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                echoes.sent(line);
                connection.send(line).block();
            }
            echoes.await(linger);
            closedByUs.set(true);
        } catch (IOException | RuntimeException e) {
            // the connection ended first: nothing more to send
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connection.close().subscribe();
    }

    /** {@code --token} and {@code --header} as the upgrade request's extra headers. */
    private Map<String, String> requestHeaders() {
        Map<String, String> extra = new LinkedHashMap<>();
        if (headers != null) {
            for (String header : headers) {
                int colon = header.indexOf(':');
                if (colon <= 0) {
                    throw new IllegalArgumentException("--header takes NAME:VALUE, not '" + header + "'");
                }
                extra.put(
                        header.substring(0, colon).trim(),
                        header.substring(colon + 1).trim());
            }
        }
        if (token != null) {
            extra.put("Authorization", "Bearer " + token.trim());
        }
        return extra;
    }

    /**
     * The lines sent whose echo has not come back yet. A channel sends its publisher its own
     * messages, in order; a line that never comes back (another protocol, a refused publish) is
     * only waited for until the linger time is up.
     */
    private static final class Echoes {
        private final Deque<String> pending = new ArrayDeque<>();

        synchronized void sent(String line) {
            pending.addLast(line);
        }

        synchronized void received(HubClient.Message message) {
            if (!message.binary() && message.text().equals(pending.peekFirst())) {
                pending.removeFirst();
                if (pending.isEmpty()) {
                    notifyAll();
                }
            }
        }

        synchronized void await(Duration limit) throws InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            while (!pending.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    private static void print(PrintStream out, HubClient.Message message) {
        if (message.binary()) {
            byte[] data = message.data();
            out.println("<binary " + data.length + " bytes: " + ByteBufUtil.hexDump(data, 0, Math.min(32, data.length))
                    + ">");
        } else {
            out.println(message.text());
        }
    }

    private static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof HubClient.HandshakeRefusedException refused) {
                return "the server refused the connection: " + refused.getMessage();
            }
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message;
    }
}
