package io.reactivehub.server.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
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
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Interactive client on hub-core's {@link HubClient}: each stdin line is sent as a text message;
 * each message received is printed on its own line. EOF closes cleanly (exit 0); a failed
 * connection, a dead server or an error close prints one line on stderr and exits 1.
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
            description = "e.g. ws://localhost:8080/ws or ws://localhost:8080/ws/room")
    URI url;

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
            options = new HubClient.Options(pingInterval, idleTimeout, maxMessageSize, insecure);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            System.err.println("error: " + url + " is not a ws:// or wss:// URL");
            return 2;
        }
        HubClient.Connection connection;
        try {
            connection = HubClient.connect(url, options).block();
        } catch (RuntimeException e) {
            System.err.println("error: cannot talk to " + url + ": " + describe(e));
            return 1;
        }
        Thread stdin = new Thread(
                () -> {
                    try (BufferedReader reader =
                            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = reader.readLine()) != null) {
                            connection.send(line).block();
                        }
                    } catch (IOException | RuntimeException e) {
                        // the connection ended first: nothing more to send
                    }
                    connection.close().subscribe();
                },
                "stdin");
        stdin.setDaemon(true);
        stdin.start();
        try {
            connection.messages().doOnNext(message -> print(out, message)).blockLast();
        } catch (HubClient.DeadServerException e) {
            System.err.println("error: no sign of life from " + url + " for " + idleTimeout.toSeconds() + "s; gave up");
            return 1;
        } catch (RuntimeException e) {
            System.err.println("error: connection to " + url + " failed: " + describe(e));
            return 1;
        }
        WebSocketCloseStatus status = connection.closeStatus().block();
        if (status != null && status.code() != 1000 && status.code() != 1005) {
            System.err.println("error: server closed the connection: " + status.code() + " " + status.reasonText());
            return 1;
        }
        return 0;
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
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message;
    }
}
