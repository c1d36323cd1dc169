package io.reactivehub.server.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.reactivehub.core.transport.Heartbeat;
import io.reactivehub.server.HubMetrics;
import io.reactivehub.server.config.ServerConfig;
import java.util.function.Consumer;
import reactor.netty.Connection;

/**
 * Completes a connection's pipeline once the WebSocket handshake is done, in the order frames
 * travel: after Netty's decoder the {@link FrameGuards}, a {@link WritabilityListener}, the
 * {@link Heartbeat}; and the connection's {@link ConnectionWriter}, which writes below the encoder.
 */
public final class HubPipeline {
    private HubPipeline() {}

    /**
     * @param onSlowConsumer once, on the event loop, when the writer overflowed under the disconnect policy
     * @param onIdle         once, on the event loop, when the peer was silent for the idle timeout
     * @return the connection's writer
     */
    public static ConnectionWriter install(
            Connection connection,
            ServerConfig config,
            HubMetrics metrics,
            Runnable onSlowConsumer,
            Consumer<ChannelHandlerContext> onIdle) {
        ChannelPipeline pipeline = connection.channel().pipeline();
        // Frames are encoded already: they enter the pipeline below the WebSocket encoder.
        ChannelHandlerContext encoder = pipeline.context(PipelineNames.WEBSOCKET_ENCODER);
        ConnectionWriter writer = new ConnectionWriter(
                connection.channel(),
                encoder != null ? encoder : connection.channel(),
                config.queueLimits(),
                onSlowConsumer,
                metrics::dropped);
        FrameGuards.install(connection, config.maxMessageSize(), metrics::oversized);
        connection.addHandlerLast(PipelineNames.WRITABILITY, new WritabilityListener(writer));
        connection.addHandlerLast(
                PipelineNames.HEARTBEAT, new Heartbeat(config.pingInterval(), config.idleTimeout(), onIdle));
        return writer;
    }
}
