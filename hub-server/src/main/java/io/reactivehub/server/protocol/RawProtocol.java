package io.reactivehub.server.protocol;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Codec;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.codec.RawFrameCodec;
import io.reactivehub.server.hooks.Hooks;
import io.reactivehub.server.session.Deliveries;
import io.reactivehub.server.session.DisconnectReason;
import io.reactivehub.server.session.ProtocolHandler;
import io.reactivehub.server.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raw protocol on {@code /ws/{channel}}: the connection is subscribed to one channel, and every
 * text or binary message it sends is published, unchanged and with its type, to that channel
 * (itself included). It has no error frames: refusals are close codes (1008, 1013) or, over the
 * rate limit, counted drops.
 */
public final class RawProtocol implements ProtocolHandler {
    private static final Logger log = LoggerFactory.getLogger(RawProtocol.class);

    private final ChannelName channel;
    private final Codec compressed;

    /**
     * @param channel    the channel of every connection this instance serves
     * @param compressed the server's one shared compressing form of {@link RawFrameCodec}
     */
    public RawProtocol(ChannelName channel, Codec compressed) {
        this.channel = channel;
        this.compressed = compressed;
    }

    @Override
    public Codec codec(boolean deflate) {
        return deflate ? compressed : RawFrameCodec.INSTANCE;
    }

    @Override
    public void opened(Session session) {
        Hooks hooks = session.config().hooks();
        if (hooks.subscribe() != null || hooks.publish() != null) {
            // The raw protocol has no replies to carry a hook's answer: with subscribe or publish
            // hooks it would be a way around them.
            log.info("session {}: raw protocol while subscribe/publish hooks are on; closing with 1008", session.id());
            session.close(DisconnectReason.policyViolation("the raw protocol is off with subscribe or publish hooks"));
            return;
        }
        if (!session.maySubscribe(channel)) {
            log.info("session {}: token does not allow subscribing to {}; closing with 1008", session.id(), channel);
            session.close(DisconnectReason.policyViolation("not allowed to subscribe to " + channel));
            return;
        }
        session.subscriptions().subscribeNow(channel, new Deliveries(session));
    }

    @Override
    public void onFrame(Session session, WebSocketFrame frame) {
        PayloadType type;
        if (frame instanceof TextWebSocketFrame) {
            type = PayloadType.TEXT;
        } else if (frame instanceof BinaryWebSocketFrame) {
            type = PayloadType.BINARY;
        } else {
            return; // pongs: liveness only
        }
        if (!session.mayPublishTo(channel)) {
            log.info("session {}: token does not allow publishing to {}; closing with 1008", session.id(), channel);
            session.close(DisconnectReason.policyViolation("not allowed to publish to " + channel));
            return;
        }
        if (!session.mayPublish()) {
            return; // over the rate limit: dropped and counted
        }
        byte[] payload = ByteBufUtil.getBytes(frame.content());
        long start = System.nanoTime();
        session.hub()
                .publish(channel, payload, type)
                .subscribe(result -> session.metrics().published(payload.length, start), e -> failed(session, e));
    }

    private void failed(Session session, Throwable e) {
        Failure failure = Failure.of(e, "session " + session.id() + ": publish to " + channel, session.metrics());
        if (failure.code() == ErrorCode.UNAVAILABLE || failure.code() == ErrorCode.UNKNOWN_OUTCOME) {
            // No error frames: say it with the close code, never drop silently (a message whose
            // outcome is unknown may have been published: the client cannot be told which).
            log.info(
                    "session {}: message to {} not published, the broker is unavailable; closing with {}",
                    session.id(),
                    channel,
                    DisconnectReason.BROKER_UNAVAILABLE.code());
            session.close(DisconnectReason.BROKER_UNAVAILABLE);
        } else if (failure.code() != ErrorCode.INTERNAL) {
            log.warn("session {}: publish to {} failed: {}", session.id(), channel, failure.message());
        }
    }

    @Override
    public String describe(Session session) {
        return "raw " + channel;
    }
}
