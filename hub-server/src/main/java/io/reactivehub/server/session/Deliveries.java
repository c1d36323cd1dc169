package io.reactivehub.server.session;

import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.Codec;
import io.reactivehub.core.Message;
import io.reactivehub.core.codec.WireBuffers;
import io.reactivehub.server.transport.ConnectionWriter;
import java.util.concurrent.Executor;

/**
 * A channel's messages into one connection's writer: each message encoded once for every
 * subscriber ({@link Message#encoded}), and a view of the shared frame per delivery. Protocols
 * extend it for their other signals.
 *
 * <p>Threads: it names the connection's event loop as its {@link #executor()}, so the hub calls it
 * there, together with the channel's other listeners on that loop (one hand-off per loop and
 * burst); it writes each frame at once when the socket takes it and flushes once per burst
 * ({@link #onBurstEnd()}). Messages replayed by a recovery may come from the thread that read the
 * history: those are queued, and the writer's drain writes them.
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
            writer.offerInBurst(WireBuffers.share(message.encoded(codec)));
        }
    }

    @Override
    public final Executor executor() {
        return writer.eventLoop();
    }

    @Override
    public final void onBurstEnd() {
        writer.endBurst();
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
