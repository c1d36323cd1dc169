package io.reactivehub.core.broker;

import io.reactivehub.core.ChannelPage;
import io.reactivehub.core.ChannelQuery;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;
import io.reactivehub.core.NodeInfo;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/** One node alone: commands run here, at once; the node list is this node. Thread-safe. */
public final class LocalNodeBus implements NodeBus {
    private final String id;

    /** @param id this node's id */
    public LocalNodeBus(String id) {
        this.id = Objects.requireNonNull(id, "id");
    }

    private volatile @Nullable Local local;
    private volatile boolean disposed;

    @Override
    public void start(Local local) {
        this.local = local;
    }

    @Override
    public String nodeId() {
        return id;
    }

    private Local local() {
        Local l = local;
        if (l == null || disposed) {
            throw new HubException(ErrorCode.HUB_CLOSED, "hub is closed");
        }
        return l;
    }

    @Override
    public Mono<Void> send(byte[] command) {
        return Mono.fromRunnable(() -> local().onControl(command));
    }

    @Override
    public Mono<List<NodeInfo>> nodes() {
        return Mono.fromSupplier(() -> List.of(local().info()));
    }

    @Override
    public Mono<ChannelPage> channels(ChannelQuery query) {
        return Mono.fromSupplier(() -> local().channels(query));
    }

    @Override
    public void dispose() {
        disposed = true;
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }
}
