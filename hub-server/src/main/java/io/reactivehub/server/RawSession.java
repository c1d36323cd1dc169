package io.reactivehub.server;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.codec.RawFrameCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raw protocol: the connection is subscribed to one channel, and every text or binary message
 * it sends is published, unchanged and with its type, to that channel (itself included).
 */
final class RawSession extends Session {
    private static final Logger log = LoggerFactory.getLogger(RawSession.class);

    private final ChannelName channel;

    RawSession(SessionContext context, ChannelName channel, String ip, io.reactivehub.server.auth.@org.jspecify.annotations.Nullable Principal principal) {
        super(context, ip, principal, RawFrameCodec.INSTANCE, context.rawDeflate());
        this.channel = channel;
    }

    @Override
    protected void opened() {
        if (!maySubscribe(channel)) {
            log.info("session {}: token does not allow subscribing to {}; closing with {}", id, channel,
                    CloseCodes.POLICY_VIOLATION);
            closeWith(CloseCodes.POLICY_VIOLATION, "not allowed to subscribe to " + channel);
            return;
        }
        subscribe(channel);
    }

    @Override
    protected void onFrame(WebSocketFrame frame) {
        PayloadType type;
        if (frame instanceof TextWebSocketFrame) {
            type = PayloadType.TEXT;
        } else if (frame instanceof BinaryWebSocketFrame) {
            type = PayloadType.BINARY;
        } else {
            return; // pongs: liveness only
        }
        if (!mayPublishTo(channel)) {
            log.info("session {}: token does not allow publishing to {}; closing with {}", id, channel,
                    CloseCodes.POLICY_VIOLATION);
            closeWith(CloseCodes.POLICY_VIOLATION, "not allowed to publish to " + channel);
            return;
        }
        if (!mayPublish()) {
            return; // over the rate limit: dropped and counted (the raw protocol has no error frames)
        }
        byte[] payload = ByteBufUtil.getBytes(frame.content());
        long start = System.nanoTime();
        hub.publish(channel, payload, type).subscribe(
                result -> metrics.published(payload.length, result.subscribers(), start),
                e -> {
                    if (e instanceof io.reactivehub.core.HubException he
                            && he.errorCode() == io.reactivehub.core.ErrorCode.UNAVAILABLE) {
                        // The raw protocol has no error frames: say it with the close code, never drop silently.
                        metrics.brokerUnavailable();
                        log.info("session {}: message to {} not published, the broker is unavailable; closing with {}",
                                id, channel, CloseCodes.TRY_AGAIN_LATER);
                        closeWith(CloseCodes.TRY_AGAIN_LATER, "broker unavailable, try again later");
                    } else {
                        log.warn("session {}: publish to {} failed: {}", id, channel, e.toString());
                    }
                });
    }

    @Override
    protected String describe() {
        return "raw " + channel;
    }
}
