package io.reactivehub.core.broker;

import io.reactivehub.core.ChannelPage;
import io.reactivehub.core.ChannelQuery;
import io.reactivehub.core.NodeInfo;
import java.util.List;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * The nodes of a hub as one: control commands to every node, the list of live nodes, the active
 * channels of all of them. Supplied by the broker ({@link Broker#nodeBus()}): in process
 * ({@link LocalNodeBus}, this node alone), or {@code RedisNodeBus} (every node on the same Redis).
 *
 * <p><b>Guarantees.</b> {@link #send} reaches every live node at most once (with Redis, pub/sub:
 * a node cut off from Redis at that moment misses it); the Mono completes when the command is
 * handed over, not when nodes have run it. {@link #nodes} lists the nodes that refreshed their
 * entry within its TTL. {@link #channels} asks every live node and waits a bounded time.
 */
public interface NodeBus extends Disposable {
    /** What this node tells the others; called on broker threads, must not block. */
    interface Local {
        NodeInfo info();

        ChannelPage channels(ChannelQuery query);

        void onControl(byte[] command);
    }

    /** Starts taking part (publishing this node's info, hearing commands); called once. */
    void start(Local local);

    /** This node's id, random per start. */
    String nodeId();

    /** Sends a command to every node, this one included. */
    Mono<Void> send(byte[] command);

    /** The live nodes, this one included. */
    Mono<List<NodeInfo>> nodes();

    /** The query's page of the channels of every live node, counts summed. */
    Mono<ChannelPage> channels(ChannelQuery query);
}
