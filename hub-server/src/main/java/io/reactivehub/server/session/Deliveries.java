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
 *
 * <p>A subscription ends once ({@link Subscriptions} calls {@link #end()}): whether the client had
 * been told it started ({@link #confirm}) is decided under this object's monitor, so a
 * confirmation is either sent before the end or never, and nothing is delivered after it.
 */
public class Deliveries implements ChannelListener {
    private final ConnectionWriter writer;
    private final Codec codec;
    /** Set by the broker's thread (an interruption) or by whoever ends the subscription. */
    private volatile boolean stopped;
    /** Guarded by this: the client was told the subscription started. */
    private boolean confirmed;

    /** @param session an open session */
    public Deliveries(Session session) {
        this(session.writer(), session.codec());
    }

    /** Into a writer of one's own (tests). */
    Deliveries(ConnectionWriter writer, Codec codec) {
        this.writer = writer;
        this.codec = codec;
    }

    @Override
    public final void onMessage(Message message) {
        if (!stopped) {
            writer.offer(WireBuffers.share(message.encoded(codec)));
        }
    }

    /**
     * No message after this one reaches the connection, even those already on their way (held
     * during a recovery, or emitted before the subscription is detached).
     */
    protected final void stop() {
        stopped = true;
    }

    /** Whether messages still reach the connection. */
    protected final boolean active() {
        return !stopped;
    }

    /**
     * The subscription started: {@code confirmation} (which sends the reply) runs now, unless the
     * subscription already ended, in which case it never runs and nothing is delivered.
     */
    protected final synchronized void confirm(Runnable confirmation) {
        if (!stopped) {
            confirmed = true;
            confirmation.run();
        }
    }

    /**
     * Ends the subscription: nothing is delivered or confirmed from now on.
     *
     * @return whether the client had been told that it started
     */
    final synchronized boolean end() {
        stopped = true;
        return confirmed;
    }
}
