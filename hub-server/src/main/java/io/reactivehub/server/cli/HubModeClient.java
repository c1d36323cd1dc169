package io.reactivehub.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reactivehub.core.client.HubClient;
import io.reactivehub.core.client.HubProtocolClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.Disposable;

/**
 * The {@code client} command's hub-protocol mode ({@code --channel}): subscribes through
 * {@link HubProtocolClient}, which reconnects (to the next URL given) and recovers by itself;
 * prints each message as {@code channel offset: data} and says on stderr what the connection
 * does. Each stdin line is published to the first channel (as JSON when it is JSON, else as a
 * string). The end of input waits up to the linger time for the last line to come back, then
 * closes: exit 0. Refused for good (a bad token, a close 1008): exit 1.
 */
final class HubModeClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<URI> urls;
    private final List<String> channels;
    private final HubClient.Options transport;
    private final Duration linger;
    private final PrintStream out;

    HubModeClient(
            List<URI> urls, List<String> channels, HubClient.Options transport, Duration linger, PrintStream out) {
        this.urls = urls;
        this.channels = channels;
        this.transport = transport;
        this.linger = linger;
        this.out = out;
    }

    int run() {
        HubProtocolClient client =
                HubProtocolClient.connect(urls, HubProtocolClient.Options.DEFAULT.withTransport(transport));
        AtomicReference<String> closedBecause = new AtomicReference<>();
        CountDownLatch closed = new CountDownLatch(1);
        client.states().subscribe(state -> {
            System.err.println(describe(state));
            if (state instanceof HubProtocolClient.Closed c) {
                closedBecause.compareAndSet(null, c.reason());
                closed.countDown();
            }
        });
        Echo echo = new Echo();
        List<Disposable> subscriptions = new ArrayList<>();
        for (String channel : channels) {
            subscriptions.add(client.subscribe(channel).subscribe(event -> print(event, echo), e -> {
                System.err.println("error: subscription to " + channel + " ended: " + e.getMessage());
                closedBecause.compareAndSet(null, e.getMessage());
                closed.countDown();
            }));
        }
        AtomicBoolean endOfInput = new AtomicBoolean();
        Thread stdin = new Thread(
                () -> {
                    publishInput(client, echo);
                    endOfInput.set(true);
                    closed.countDown();
                },
                "stdin");
        stdin.setDaemon(true);
        stdin.start();
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String why = endOfInput.get() ? null : closedBecause.get();
        subscriptions.forEach(Disposable::dispose);
        client.dispose();
        if (why != null) {
            System.err.println("error: " + why);
            return 1;
        }
        return 0;
    }

    private void publishInput(HubProtocolClient client, Echo echo) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                try {
                    long offset = client.publish(channels.get(0), json(line))
                            .block(Duration.ofSeconds(30))
                            .path("offset")
                            .asLong();
                    echo.sent(offset);
                } catch (RuntimeException e) {
                    System.err.println("error: not published: " + e.getMessage());
                }
            }
            echo.await(linger);
        } catch (IOException e) {
            // stdin closed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The line as JSON data: itself when it is a JSON value, else a JSON string of it. */
    private static String json(String line) {
        try {
            JsonNode value = JSON.readTree(line);
            if (value != null && !value.isMissingNode()) {
                return line;
            }
        } catch (IOException e) {
            // not JSON: sent as a string
        }
        return JSON.getNodeFactory().textNode(line).toString();
    }

    private void print(HubProtocolClient.Event event, Echo echo) {
        if (event instanceof HubProtocolClient.Publication p) {
            out.println(p.channel() + " " + p.offset() + ": " + p.data());
            if (p.channel().equals(channels.get(0))) {
                echo.received(p.offset());
            }
        } else if (event instanceof HubProtocolClient.Resync r) {
            System.err.println("messages of " + r.channel() + " were lost and cannot be recovered; going on from "
                    + r.position().offset());
        }
    }

    private static String describe(HubProtocolClient.State state) {
        if (state instanceof HubProtocolClient.Connecting c) {
            return "connecting to " + c.url() + (c.attempt() > 1 ? " (attempt " + c.attempt() + ")" : "");
        }
        if (state instanceof HubProtocolClient.Connected c) {
            return "connected to " + c.url() + " (subscriptions recover what they missed)";
        }
        if (state instanceof HubProtocolClient.Disconnected d) {
            return "disconnected: " + d.code() + " " + d.reason() + "; reconnecting in "
                    + d.retryIn().toMillis() + "ms";
        }
        return "closed: " + ((HubProtocolClient.Closed) state).reason();
    }

    /** The offset of the last line published, until it has come back. */
    private static final class Echo {
        private long waitingFor = -1;
        private long seen = -1;

        synchronized void sent(long offset) {
            waitingFor = offset;
        }

        synchronized void received(long offset) {
            seen = Math.max(seen, offset);
            notifyAll();
        }

        synchronized void await(Duration limit) throws InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            while (seen < waitingFor) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }
}
