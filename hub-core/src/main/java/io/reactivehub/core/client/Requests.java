package io.reactivehub.core.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * The commands of a {@link HubProtocolClient} that wait for their reply, matched by id, and the
 * application's requests that wait for a connection; both bounded together by
 * {@link HubProtocolClient.Options#maxPendingRequests()}. Thread-safe.
 */
final class Requests {
    private final HubProtocolClient client;
    private final int max;
    private final Map<Long, MonoSink<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    /** Requests waiting for a connection (they count against the bound with the pending). */
    private final AtomicInteger waiting = new AtomicInteger();

    Requests(HubProtocolClient client, int max) {
        this.client = client;
        this.max = max;
    }

    /** The error of a request refused because too many wait. */
    IllegalStateException full() {
        return new IllegalStateException("more than " + max + " commands wait for a reply");
    }

    /** Counts one more request waiting for a connection; false (nothing counted) when full. */
    boolean startWaiting() {
        if (waiting.incrementAndGet() + pending.size() > max) {
            waiting.decrementAndGet();
            return false;
        }
        return true;
    }

    void stopWaiting() {
        waiting.decrementAndGet();
    }

    /**
     * Sends a command on {@code c}; completes with the reply. {@code capped}: counts against the
     * bound (the application's requests; subscriptions and token refreshes must always get through).
     */
    Mono<JsonNode> send(
            HubClient.Connection c,
            String op,
            @Nullable String channel,
            @Nullable Consumer<ObjectNode> fields,
            boolean capped) {
        return Mono.create(sink -> {
            if (capped && pending.size() >= max) {
                sink.error(full());
                return;
            }
            long id = ids.incrementAndGet();
            ObjectNode command =
                    HubProtocolClient.JSON.createObjectNode().put("id", id).put("op", op);
            if (channel != null) {
                command.put("channel", channel);
            }
            if (fields != null) {
                fields.accept(command);
            }
            pending.put(id, sink);
            sink.onDispose(() -> pending.remove(id));
            if (client.connection() != c) {
                // Lost meanwhile: the sweep of pending requests may have run already.
                pending.remove(id);
                sink.error(new IllegalStateException("connection lost"));
                return;
            }
            c.send(command.toString()).subscribe(null, sink::error);
        });
    }

    /** Completes the command {@code message} answers; false when it is not a reply (a push). */
    boolean answer(JsonNode message) {
        JsonNode id = message.get("id");
        if (id == null || !id.canConvertToLong()) {
            return false;
        }
        MonoSink<JsonNode> sink = pending.remove(id.asLong());
        if (sink != null) {
            JsonNode error = message.get("error");
            if (error != null) {
                sink.error(new HubProtocolClient.CommandException(
                        error.path("code").asInt(), error.path("message").asText()));
            } else {
                sink.success(message);
            }
        }
        return true;
    }

    /** The connection was lost: every command waiting for a reply fails. */
    void failAll(int code) {
        for (Long id : pending.keySet()) {
            MonoSink<JsonNode> sink = pending.remove(id);
            if (sink != null) {
                sink.error(new IllegalStateException("connection lost (" + code + ")"));
            }
        }
    }
}
