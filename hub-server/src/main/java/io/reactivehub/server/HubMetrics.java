package io.reactivehub.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.Hub;
import io.reactivehub.server.webhook.WebhookSender;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The server's meters, exposed in Prometheus text format on {@code GET /metrics}: the hub's own,
 * whose names start with {@code hub_}, beside Micrometer's JVM and process meters ({@code jvm_*},
 * {@code process_*}, {@code system_cpu_*}) and Netty's buffer allocator ({@code netty_allocator_*}).
 * Nothing is counted per delivery on the fan-out path: the hub adds each message's subscriber
 * count once. Thread-safe; {@link #close()} stops the GC listener.
 */
public final class HubMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger subscriptions = new AtomicInteger();
    private final Counter messagesIn;
    private final Counter bytesIn;
    private final Counter slowConsumers;
    private final Counter dropped;
    private final Counter idleTimeouts;
    private final Counter protocolErrors;
    private final Timer publish;
    private final Counter rateLimited;
    private final Counter authFailures;
    private final Counter oversized;
    private final Counter brokerUnavailable;
    private final Counter outcomeUnknown;
    private final Counter resubscribes;
    private final JvmGcMetrics gc = new JvmGcMetrics();

    /** @param connections the number of open WebSocket connections now */
    public HubMetrics(Hub hub, IntSupplier connections) {
        bindJvmAndProcess();
        // Gauges hold their object weakly: the supplier is held strongly, or a GC would turn it into NaN.
        Gauge.builder("hub_connections_active", connections, IntSupplier::getAsInt)
                .strongReference(true)
                .description("Open WebSocket connections")
                .register(registry);
        Gauge.builder("hub_channels", hub, Hub::channelCount)
                .description("Channels with at least one subscriber")
                .register(registry);
        Gauge.builder("hub_subscriptions", subscriptions, AtomicInteger::get)
                .description("Channel subscriptions over all connections")
                .register(registry);
        messagesIn = Counter.builder("hub_messages_in")
                .description("Messages published by clients")
                .register(registry);
        bytesIn = Counter.builder("hub_bytes_in")
                .description("Payload bytes published by clients")
                .register(registry);
        // Counted where messages reach this node's subscribers, whichever node published them.
        FunctionCounter.builder("hub_deliveries", hub, Hub::deliveries)
                .description("Messages handed to this node's subscriber queues (one per subscriber per message)")
                .register(registry);
        FunctionCounter.builder("hub_bytes_out", hub, Hub::deliveredBytes)
                .description("Payload bytes handed to this node's subscriber queues")
                .register(registry);
        slowConsumers = Counter.builder("hub_slow_consumer_disconnects")
                .description("Connections closed with 4001 because their queue overflowed")
                .register(registry);
        dropped = Counter.builder("hub_dropped_messages")
                .description("Messages dropped from full queues under the drop-oldest policy")
                .register(registry);
        idleTimeouts = Counter.builder("hub_idle_timeouts")
                .description("Connections closed with 4002 after the idle timeout")
                .register(registry);
        protocolErrors = Counter.builder("hub_protocol_errors")
                .description("Hub-protocol commands answered with an error")
                .register(registry);
        oversized = Counter.builder("hub_oversized_messages")
                .description("Fragmented or compressed messages over the maximum message size (closed with 1009)")
                .register(registry);
        authFailures = Counter.builder("hub_auth_failures")
                .description("Upgrades refused with 401 and refresh tokens refused")
                .register(registry);
        brokerUnavailable = Counter.builder("hub_broker_unavailable")
                .description(
                        "Publishes and subscribes refused because Redis was unreachable (error 114, close 1013, HTTP 503)")
                .register(registry);
        outcomeUnknown = Counter.builder("hub_publish_outcome_unknown")
                .description("Publishes Redis did not answer in time: maybe published (error 118, HTTP 504)")
                .register(registry);
        resubscribes = Counter.builder("hub_resubscribe_requests")
                .description("Subscriptions ended with an unsubscribed push (4004): messages lost on this node")
                .register(registry);
        rateLimited = Counter.builder("hub_rate_limited")
                .description("Publishes and other commands refused by the per-connection rate limits")
                .register(registry);
        for (String reason : new String[] {
            "origin",
            "max_connections",
            "max_connections_per_ip",
            "shutdown",
            "max_pending_connections",
            "max_pending_connections_per_ip"
        }) {
            rejected(reason, 0);
        }
        for (String kind : new String[] {"request", "keep_alive"}) {
            httpTimeout(kind, 0);
        }
        publish = Timer.builder("hub_publish_latency")
                .description("From a client's publish to the broker's confirmation: in every local subscriber's queue "
                        + "(in-process broker), or numbered, kept and published by Redis")
                .publishPercentileHistogram()
                .register(registry);
    }

    /** Micrometer's binders: memory, GC, threads, class loading, CPU, open files, uptime, Netty's allocators. */
    private void bindJvmAndProcess() {
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        // Netty 4.2's default allocator is the adaptive one; Reactor Netty may use the pooled one.
        new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
        if (ByteBufAllocator.DEFAULT != PooledByteBufAllocator.DEFAULT
                && ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
            new NettyAllocatorMetrics(provider).bindTo(registry);
        }
    }

    @Override
    public void close() {
        gc.close();
    }

    /** A client's message was published; {@code startNanos} is when its frame arrived. */
    public void published(int payloadBytes, long startNanos) {
        messagesIn.increment();
        bytesIn.increment(payloadBytes);
        publish.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    /** A hub operation failed (a command's error reply, a server API error, a raw close). */
    public void failed(ErrorCode code) {
        if (code == ErrorCode.UNAVAILABLE) {
            brokerUnavailable.increment();
        } else if (code == ErrorCode.UNKNOWN_OUTCOME) {
            outcomeUnknown.increment();
        }
        Counter.builder("hub_operation_failures")
                .tag("code", Integer.toString(code.code()))
                .description("Hub operations (publish, subscribe, history, presence) that failed, by error code")
                .register(registry)
                .increment();
    }

    public void subscribed() {
        subscriptions.incrementAndGet();
    }

    public void unsubscribed() {
        subscriptions.decrementAndGet();
    }

    public void resubscribeRequested() {
        resubscribes.increment();
    }

    public void slowConsumer() {
        slowConsumers.increment();
    }

    public void dropped(long count) {
        dropped.increment(count);
    }

    public void rejected(String reason) {
        rejected(reason, 1);
    }

    private void rejected(String reason, int n) {
        Counter.builder("hub_connections_rejected")
                .tag("reason", reason)
                .description("Upgrades refused before any WebSocket was opened, and new connections closed "
                        + "at once over the pending-connection caps")
                .register(registry)
                .increment(n);
    }

    /** A gauge read from {@code value} (held strongly). */
    public void gauge(String name, String description, IntSupplier value) {
        Gauge.builder(name, value, IntSupplier::getAsInt)
                .strongReference(true)
                .description(description)
                .register(registry);
    }

    /** The occupancy webhook's counts: events sent, dropped, retries, and the events waiting. */
    public void webhook(WebhookSender sender) {
        FunctionCounter.builder("hub_webhook_sent", sender, WebhookSender::sent)
                .description("Occupancy events the webhook delivered (2xx)")
                .register(registry);
        FunctionCounter.builder("hub_webhook_dropped", sender, WebhookSender::dropped)
                .description("Occupancy events dropped: the webhook queue was full, or a batch ran out of attempts")
                .register(registry);
        FunctionCounter.builder("hub_webhook_retries", sender, WebhookSender::retries)
                .description("Webhook POSTs sent again after a failure")
                .register(registry);
        Gauge.builder("hub_webhook_pending", sender, WebhookSender::pending)
                .description("Occupancy events waiting to be sent")
                .register(registry);
    }

    /** A connection that had not upgraded was closed: a request too slow, or idle between requests. */
    public void httpTimeout(String kind) {
        httpTimeout(kind, 1);
    }

    private void httpTimeout(String kind, int n) {
        Counter.builder("hub_http_timeouts")
                .tag("kind", kind)
                .description("Connections closed before upgrading: a request not in within --handshake-timeout "
                        + "(request), or no next request within --keep-alive-timeout (keep_alive)")
                .register(registry)
                .increment(n);
    }

    public void oversized() {
        oversized.increment();
    }

    public void authFailure() {
        authFailures.increment();
    }

    public void rateLimited() {
        rateLimited.increment();
    }

    public void idleTimeout() {
        idleTimeouts.increment();
    }

    public void protocolError() {
        protocolErrors.increment();
    }

    public String scrape() {
        return registry.scrape();
    }
}
