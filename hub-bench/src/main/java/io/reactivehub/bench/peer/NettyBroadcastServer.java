package io.reactivehub.bench.peer;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The ceiling for fan-out on the JVM: a broadcast server written directly on Netty, with no
 * channels, queues or policies. Each incoming text or binary message is encoded into one frame
 * once, and every connection gets {@code retainedDuplicate()} of it, flushed once per inbound read
 * batch (a flush per delivery would make it a syscall benchmark). Same raw behaviour as the
 * hub's {@code /ws} (sender included), any path.
 */
@Command(
        name = "netty-server",
        mixinStandardHelpOptions = true,
        description = "Run the minimal Netty broadcast server used as the comparison ceiling.")
public final class NettyBroadcastServer implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "8090", description = "Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Default: ${DEFAULT-VALUE}")
    String host;

    @Override
    public Integer call() throws Exception {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> serverChannel =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, io);
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(io);
        ChannelGroup everyone = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        try {
            Channel ch = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(serverChannel)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            c.pipeline()
                                    .addLast(
                                            new HttpServerCodec(),
                                            new HttpObjectAggregator(65536),
                                            new WebSocketServerProtocolHandler("/", null, false, 65536, false, true),
                                            new Broadcaster(everyone));
                        }
                    })
                    .bind(host, port)
                    .sync()
                    .channel();
            System.err.println("netty broadcast server on ws://" + host + ":" + port + "/ (epoll: " + epoll + ")");
            ch.closeFuture().sync();
        } finally {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
        }
        return 0;
    }

    /** Encode once, write a retained duplicate to every channel. */
    static final class Broadcaster extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final ChannelGroup everyone;
        private boolean pendingFlush;

        Broadcaster(ChannelGroup everyone) {
            this.everyone = everyone;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                everyone.add(ctx.channel());
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            ByteBuf payload = frame.content();
            int opcode = frame instanceof BinaryWebSocketFrame ? 0x2 : 0x1;
            ByteBuf encoded = encode(ctx.alloc(), opcode, payload);
            try {
                for (Channel c : everyone) {
                    c.write(encoded.retainedDuplicate(), c.voidPromise());
                }
                pendingFlush = true;
            } finally {
                encoded.release();
            }
        }

        /** One flush per channel per inbound read batch, not one per message. */
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (pendingFlush) {
                pendingFlush = false;
                everyone.flush();
            }
            ctx.fireChannelReadComplete();
        }

        private static ByteBuf encode(ByteBufAllocator alloc, int opcode, ByteBuf payload) {
            int n = payload.readableBytes();
            ByteBuf out = alloc.directBuffer(n + 10);
            out.writeByte(0x80 | opcode);
            if (n < 126) {
                out.writeByte(n);
            } else if (n <= 0xFFFF) {
                out.writeByte(126).writeShort(n);
            } else {
                out.writeByte(127).writeLong(n);
            }
            out.writeBytes(payload, payload.readerIndex(), n);
            return out;
        }
    }
}
