package io.reactivehub.server.webhook;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.reactivehub.core.Hub;
import io.reactivehub.core.OccupancyEvent;
import io.reactivehub.server.config.WebhookConfig;
import io.reactivehub.server.protocol.HubJson;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;

/**
 * POSTs the occupancy events this node reports ({@link OccupancyEvent#reporter()} is this node:
 * each transition is reported by exactly one node, so a cluster sends each event once) to the
 * configured URL: {@code {"events":[...]}} with up to {@value WebhookConfig#MAX_BATCH} events, in
 * the order they were reported, one request at a time, signed ({@link WebhookSignature}).
 *
 * <p>A batch that fails (connection error, timeout, any status but 2xx) is sent again after
 * 200 ms, 400 ms, ... (doubling, up to 30 s, with 20% jitter) until its attempts run out; then it is
 * dropped and counted. Events wait in a queue of at most {@link WebhookConfig#maxPending()}: past
 * that the oldest is dropped and counted. The first drop and the first failure of an outage are
 * logged (warn), once until a batch gets through again. Delivery is at least once per attempt
 * budget: a receiver that times out after processing gets the batch again. Thread-safe.
 */
public final class WebhookSender implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);

    private final Hub hub;
    private final WebhookConfig config;
    private final WebhookSignature signature;
    private final HttpClient http;
    /** Guarded by itself. */
    private final ArrayDeque<OccupancyEvent> queue = new ArrayDeque<>();
    /** Guarded by {@link #queue}: a batch is being sent (or waits for its retry). */
    private boolean sending;

    private final LongAdder sent = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final AtomicBoolean degradedLogged = new AtomicBoolean();
    private volatile boolean closed;
    private final Disposable subscription;

    private WebhookSender(Hub hub, WebhookConfig config) {
        this.hub = hub;
        this.config = config;
        this.signature = new WebhookSignature(config.secret());
        this.http = HttpClient.create()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, config.timeout().toMillis()))
                .responseTimeout(config.timeout())
                .headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                        .set(HttpHeaderNames.USER_AGENT, "reactive-hub-webhook"));
        String node = hub.nodeId();
        this.subscription = hub.occupancy()
                .filter(e -> e.reporter().equals(node))
                .subscribe(this::offer, e -> log.error("occupancy events ended with an error", e));
    }

    /** Starts forwarding this node's occupancy reports. */
    public static WebhookSender start(Hub hub, WebhookConfig config) {
        log.info("occupancy webhook: {}", config);
        return new WebhookSender(hub, config);
    }

    /** Events delivered (a 2xx answer). */
    public long sent() {
        return sent.sum();
    }

    /** Events dropped: the queue was full, or their batch ran out of attempts. */
    public long dropped() {
        return dropped.sum();
    }

    /** Attempts after a batch's first. */
    public long retries() {
        return retries.sum();
    }

    /** Events waiting now (the batch in flight not included). */
    public int pending() {
        synchronized (queue) {
            return queue.size();
        }
    }

    void offer(OccupancyEvent event) {
        synchronized (queue) {
            if (queue.size() >= config.maxPending()) {
                queue.pollFirst();
                dropped.increment();
                degraded("the queue is full ({} events): dropping the oldest", config.maxPending());
            }
            queue.addLast(event);
        }
        next(false);
    }

    /** Starts sending the next batch unless one is in flight ({@code done}: the caller's batch ended). */
    private void next(boolean done) {
        List<OccupancyEvent> batch;
        synchronized (queue) {
            if (done) {
                sending = false;
            }
            if (sending || queue.isEmpty() || closed) {
                if (!sending) {
                    queue.notifyAll(); // idle: close() may be waiting
                }
                return;
            }
            sending = true;
            batch = new ArrayList<>(Math.min(queue.size(), WebhookConfig.MAX_BATCH));
            while (batch.size() < WebhookConfig.MAX_BATCH && !queue.isEmpty()) {
                batch.add(queue.pollFirst());
            }
        }
        send(batch, body(batch), 1);
    }

    private void send(List<OccupancyEvent> batch, byte[] body, int attempt) {
        http.headers(h -> h.set(WebhookSignature.HEADER, signature.sign(body)))
                .post()
                .uri(config.url())
                .send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(body)))
                .responseSingle((response, content) ->
                        content.then(Mono.just(response.status().code())))
                .timeout(config.timeout())
                .subscribe(
                        status -> {
                            if (status / 100 == 2) {
                                delivered(batch);
                            } else {
                                failed(batch, body, attempt, "HTTP " + status);
                            }
                        },
                        e -> failed(batch, body, attempt, e.toString()));
    }

    private void delivered(List<OccupancyEvent> batch) {
        sent.add(batch.size());
        if (degradedLogged.compareAndSet(true, false)) {
            log.info("occupancy webhook delivering again");
        }
        next(true);
    }

    private void failed(List<OccupancyEvent> batch, byte[] body, int attempt, String why) {
        if (attempt >= config.maxAttempts() || closed) {
            dropped.add(batch.size());
            degraded("a batch of {} events failed {} times (last: {}): dropped", batch.size(), attempt, why);
            next(true);
            return;
        }
        degraded("a batch failed ({}): retrying", why);
        retries.increment();
        long backoff = Math.min(
                WebhookConfig.MAX_BACKOFF.toMillis(),
                WebhookConfig.FIRST_BACKOFF.toMillis() << Math.min(20, attempt - 1));
        long jittered =
                (long) (backoff * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        Schedulers.parallel().schedule(() -> send(batch, body, attempt + 1), jittered, TimeUnit.MILLISECONDS);
    }

    /** Logs the first trouble of an outage; quiet until a batch gets through again. */
    private void degraded(String format, Object... args) {
        if (degradedLogged.compareAndSet(false, true)) {
            log.warn("occupancy webhook: " + format + " (logged once until a batch gets through)", args);
        }
    }

    /** The POST body: {@code {"events":[...]}} (see the README for the fields). */
    static byte[] body(List<OccupancyEvent> batch) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ArrayNode events = root.putArray("events");
        for (OccupancyEvent e : batch) {
            ObjectNode event = events.addObject();
            event.put("type", e.type().name().toLowerCase(Locale.ROOT));
            event.put(e.type().isChannel() ? "channel" : "user", e.name());
            event.put("node", e.node());
            event.put("timestamp", e.at().toEpochMilli());
            event.put("expired", e.expired());
            event.put("reporter", e.reporter());
        }
        try {
            return HubJson.MAPPER.writeValueAsBytes(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Stops taking events and waits up to {@code wait} for what is queued to go out (a batch waiting
     * for its retry is not retried again).
     */
    public void close(Duration wait) {
        subscription.dispose();
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (queue) {
            while (sending || !queue.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    queue.wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            closed = true;
            if (!queue.isEmpty()) {
                dropped.add(queue.size());
                log.warn("occupancy webhook: {} events not sent before shutdown", queue.size());
                queue.clear();
            }
        }
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }
}
