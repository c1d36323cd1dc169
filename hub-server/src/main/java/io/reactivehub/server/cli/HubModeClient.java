package io.reactivehub.server.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
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
 * prints each message as {@code channel offset: data} and says on stderr what the connection and
 * the subscriptions do. Once the first channel is subscribed, each stdin line is published to it
 * (as JSON when it is one JSON value, else as a string), retried while the client reconnects (up
 * to 30 s a line). The end of input waits up to the linger time for the last line to come back,
 * then closes: exit 0, or 1 if a line could not be published. Stopped for good (a refused token,
 * a close 1008, a refused subscription): exit 1.
 */
final class HubModeClient {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Duration PUBLISH_PATIENCE = Duration.ofSeconds(30);

    private final List<URI> urls;
    private final List<String> channels;
    private final HubClient.Options transport;
    private final Duration linger;
    private final PrintStream out;
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final CountDownLatch firstSubscribed = new CountDownLatch(1);
    private final Echo echo = new Echo();

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
        client.states().subscribe(state -> {
            System.err.println(describe(state));
            if (state instanceof HubProtocolClient.Closed c) {
                fail(c.reason());
            }
        });
        List<Disposable> subscriptions = new ArrayList<>();
        for (String channel : channels) {
            subscriptions.add(client.subscribe(channel)
                    .subscribe(this::print, e -> fail("subscription to " + channel + " ended: " + e.getMessage())));
        }
        AtomicBoolean allPublished = new AtomicBoolean(true);
        Thread stdin = new Thread(
                () -> {
                    allPublished.set(publishInput(client));
                    done.countDown();
                },
                "stdin");
        stdin.setDaemon(true);
        stdin.start();
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String why = failure.get();
        subscriptions.forEach(Disposable::dispose);
        try {
            client.close().block(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            // closing is best effort: the process ends anyway
        }
        if (why != null) {
            System.err.println("error: " + why);
            return 1;
        }
        return allPublished.get() ? 0 : 1;
    }

    private void fail(String why) {
        failure.compareAndSet(null, why);
        done.countDown();
    }

    /** Publishes each stdin line once the first channel is subscribed; false if one was not published. */
    private boolean publishInput(HubProtocolClient client) {
        boolean all = true;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            firstSubscribed.await();
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    all &= publish(client, line);
                }
            }
            echo.await(linger);
        } catch (IOException e) {
            // stdin closed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return all;
    }

    private boolean publish(HubProtocolClient client, String line) throws InterruptedException {
        long deadline = System.nanoTime() + PUBLISH_PATIENCE.toNanos();
        while (true) {
            try {
                JsonNode reply = client.publish(channels.get(0), json(line)).block(PUBLISH_PATIENCE);
                if (reply != null) {
                    echo.sent(reply.path("offset").asLong());
                }
                return true;
            } catch (IllegalStateException e) {
                // not connected, or the connection was lost before the reply: try again once back
                if (System.nanoTime() > deadline || client.isDisposed()) {
                    System.err.println("error: not published: " + e.getMessage());
                    return false;
                }
                TimeUnit.MILLISECONDS.sleep(100);
            } catch (RuntimeException e) {
                System.err.println("error: not published: " + e.getMessage());
                return false;
            }
        }
    }

    /** The line as JSON data: itself when it is one JSON value, else a JSON string of it. */
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

    private void print(HubProtocolClient.Event event) {
        if (event instanceof HubProtocolClient.Publication p) {
            out.println(p.channel() + " " + p.offset() + ": " + p.data());
            if (p.channel().equals(channels.get(0))) {
                echo.received(p.offset());
            }
        } else if (event instanceof HubProtocolClient.Subscribed s) {
            System.err.println("subscribed to " + s.channel() + " at offset "
                    + s.position().offset() + (s.recovered() ? ", missed messages recovered" : ""));
            if (s.channel().equals(channels.get(0))) {
                firstSubscribed.countDown();
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
            waitingFor = Math.max(waitingFor, offset);
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
