package io.reactivehub.server.cli;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.reactivehub.core.transport.Heartbeat;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;

/**
 * Interactive client: each stdin line is sent as a text message; each message received is printed
 * on its own line. EOF closes cleanly (exit 0); a failed connection or an error close prints one
 * line on stderr and exits 1.
 */
@Command(name = "client", mixinStandardHelpOptions = true,
        description = "Connect to a WebSocket URL; send each stdin line as a text message, print each message received.")
final class ClientCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "URL", description = "e.g. ws://localhost:8080/ws or ws://localhost:8080/ws/room")
    URI url;

    @Option(names = "--max-message-size", paramLabel = "BYTES", defaultValue = "16777216",
            description = "Largest message accepted from the server. Default: ${DEFAULT-VALUE}")
    int maxMessageSize;

    @Option(names = "--insecure", description = "wss:// only: accept any server certificate (self-signed, tests)")
    boolean insecure;

    @Option(names = "--ping-interval", paramLabel = "DURATION", defaultValue = "25s",
            converter = ServeCommand.DurationConverter.class,
            description = "Ping the server after this much silence. Default: ${DEFAULT-VALUE}")
    java.time.Duration pingInterval;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "60s",
            converter = ServeCommand.DurationConverter.class,
            description = "Give up on a server silent this long (not even a pong). Default: ${DEFAULT-VALUE}")
    java.time.Duration idleTimeout;

    @Override
    public Integer call() {
        // The client reports failures itself, in one line; Reactor Netty's own warnings (with stack
        // traces) about the same failure would only bury it.
        for (String noisy : new String[] {"reactor", "io.netty"}) {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(noisy))
                    .setLevel(ch.qos.logback.classic.Level.OFF);
        }
        if (idleTimeout.compareTo(pingInterval) <= 0) {
            System.err.println("error: --idle-timeout must be longer than --ping-interval");
            return 2;
        }
        java.util.concurrent.atomic.AtomicBoolean deadServer = new java.util.concurrent.atomic.AtomicBoolean();
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            System.err.println("error: " + url + " is not a ws:// or wss:// URL");
            return 2;
        }
        AtomicReference<WebSocketCloseStatus> closedBy = new AtomicReference<>();
        HttpClient client = HttpClient.create();
        if (scheme.equals("wss")) {
            client = insecure
                    ? client.secure(spec -> spec.sslContext(reactor.netty.http.Http11SslContextSpec.forClient()
                            .configure(b -> b.trustManager(io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE))))
                    : client.secure();
        }
        Flux<String> stdinLines = Flux.<String>create(sink -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while (!sink.isCancelled() && (line = reader.readLine()) != null) {
                    sink.next(line);
                }
                sink.complete();
            } catch (java.io.IOException e) {
                sink.error(e);
            }
        }).subscribeOn(Schedulers.boundedElastic());
        try {
            client.websocket(WebsocketClientSpec.builder().maxFramePayloadLength(maxMessageSize).build())
                    .uri(url)
                    .handle((in, outbound) -> {
                        in.receiveCloseStatus().subscribe(closedBy::set);
                        in.withConnection(c -> c.addHandlerLast("hub.heartbeat",
                                new Heartbeat(pingInterval, idleTimeout, ctx -> {
                                    deadServer.set(true);
                                    ctx.close();
                                })));
                        Mono<Void> printing = in.aggregateFrames(maxMessageSize).receiveFrames()
                                .doOnNext(frame -> print(out, frame))
                                .then();
                        Mono<Void> sending = outbound.sendObject(stdinLines.map(TextWebSocketFrame::new))
                                .then()
                                .then(outbound.sendClose(1000, "bye"));
                        // The connection ends when the receiving side ends: after our close is answered, or when the
                        // server closes first.
                        return Mono.firstWithSignal(printing, sending.then(Mono.never()));
                    })
                    .blockLast();
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null && e.getMessage() != null && e.getMessage().startsWith("java.") ? e.getCause() : e;
            System.err.println("error: cannot talk to " + url + ": " + describe(cause));
            return 1;
        }
        if (deadServer.get()) {
            System.err.println("error: no sign of life from " + url + " for " + idleTimeout.toSeconds() + "s; gave up");
            return 1;
        }
        WebSocketCloseStatus status = closedBy.get();
        if (status != null && status.code() != 1000 && status.code() != 1005) {
            System.err.println("error: server closed the connection: " + status.code() + " " + status.reasonText());
            return 1;
        }
        return 0;
    }

    private static void print(PrintStream out, WebSocketFrame frame) {
        if (frame instanceof TextWebSocketFrame text) {
            out.println(text.text());
        } else if (frame instanceof BinaryWebSocketFrame) {
            out.println("<binary " + frame.content().readableBytes() + " bytes: "
                    + ByteBufUtil.hexDump(frame.content(), frame.content().readerIndex(),
                    Math.min(32, frame.content().readableBytes())) + ">");
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
