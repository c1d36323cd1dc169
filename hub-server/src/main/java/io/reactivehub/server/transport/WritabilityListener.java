package io.reactivehub.server.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** Resumes a {@link ConnectionWriter} when the socket drains below Netty's low-water mark. */
public final class WritabilityListener extends ChannelInboundHandlerAdapter {
    private final ConnectionWriter writer;

    public WritabilityListener(ConnectionWriter writer) {
        this.writer = writer;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            writer.schedule();
        }
        ctx.fireChannelWritabilityChanged();
    }
}
