package io.reactivehub.server.session;

import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.Codec;
import io.reactivehub.core.Message;
import io.reactivehub.core.codec.WireBuffers;
import io.reactivehub.server.transport.ConnectionWriter;

/**
 * A channel's messages into one connection's queue: each message encoded once for every
 * subscriber ({@link Message#encoded}), and a view of the shared frame per delivery. Runs on the
 * broker's thread; only enqueues. Protocols extend it for their other signals.
 */
public class Deliveries implements ChannelListener {
    private final ConnectionWriter writer;
    private final Codec codec;
    /** Set and read on the broker's thread of the channel (one at a time per channel): no fence needed. */
    private boolean stopped;

    /** @param session an open session */
    public Deliveries(Session session) {
        this.writer = session.writer();
        this.codec = session.codec();
    }

    @Override
    public final void onMessage(Message message) {
        if (!stopped) {
            writer.offer(WireBuffers.share(message.encoded(codec)));
        }
    }

    /**
     * No message after this one reaches the connection, even those already on their way (held
     * during a recovery, or emitted before the subscription is detached). Call from a callback of
     * this listener.
     */
    protected final void stop() {
        stopped = true;
    }
}
