package io.reactivehub.core.internal;

import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.HistoryResult;
import io.reactivehub.core.Message;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.StreamPosition;
import io.reactivehub.core.SubscribeResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Stands in front of a listener while its subscription starts: it is registered first and holds
 * the live messages back; once the history after the client's position is read,
 * {@link #release} hands the listener the subscribe result, the missed messages, and the held live
 * ones minus those the history already had; from then on it passes everything straight through.
 *
 * <p>Why this has no gap and no duplicate: the listener is registered before the history is read,
 * so every message is either in what is read or delivered live (or both); a recovered
 * subscription then drops live messages up to the top offset the history reported. Without a
 * recovery (or when it fails) nothing is dropped: the client starts from the live stream.
 *
 * <p>Bounded: at most {@code maxHeld} live messages are held. Past that (a history read slower
 * than the channel's traffic) the held messages are dropped and an interruption stands in their
 * place, so the listener is told (and, on the hub protocol, the client subscribes again with
 * {@code recover}) instead of the node's memory growing: nothing is lost silently.
 *
 * <p>Thread-safety: {@link #onMessage} runs on the broker's thread (or on the target's
 * {@link #executor()}, which this buffer reports as its own), {@link #release} on whichever
 * thread read the history; both lock this object while messages are held, never after. The lock
 * is held only to hold a message or to hand the replay to the target, never for I/O.
 */
final class RecoveryBuffer implements ChannelListener {
    private final ChannelListener target;
    private final @Nullable StreamPosition recover;
    private final int maxHeld;
    /** Held messages were dropped: only the interruption standing for them is held. */
    private boolean overflowed;
    /** Stands for an interruption among the held messages. */
    private static final Object INTERRUPTED = new Object();

    /** Held live messages, and {@link #INTERRUPTED} where an interruption came between them. */
    private @Nullable List<Object> held = new ArrayList<>();

    private volatile boolean live;
    /** After a recovery: live messages up to this offset were in the history already. */
    private long delivered = -1;

    /**
     * @param target  the listener the messages are for
     * @param recover where the client stopped, or null for a plain subscription
     */
    RecoveryBuffer(ChannelListener target, @Nullable StreamPosition recover, int maxHeld) {
        this.target = target;
        this.recover = recover;
        this.maxHeld = maxHeld;
    }

    @Override
    public void onMessage(Message message) {
        if ((live || !hold(message)) && message.offset() > delivered) {
            target.onMessage(message);
        }
    }

    @Override
    public @Nullable Executor executor() {
        return target.executor();
    }

    @Override
    public void onBurstEnd() {
        if (live) { // while messages are held the target got nothing; release ends its own burst
            target.onBurstEnd();
        }
    }

    @Override
    public void onPresence(PresenceEvent event) {
        target.onPresence(event);
    }

    /**
     * Held in line with the messages while the subscription starts (the listener hears of it after
     * its subscribe result); afterwards passed straight through.
     */
    @Override
    public void onInterrupted() {
        if (live || !hold(INTERRUPTED)) {
            interrupted();
        }
    }

    private void interrupted() {
        // What follows may be a new epoch numbered from 1 again: nothing after this is a duplicate
        // of the history that was read. (Broker thread, in line with onMessage.)
        delivered = -1;
        target.onInterrupted();
    }

    @Override
    public void onClose() {
        target.onClose();
    }

    private synchronized boolean hold(Object item) {
        List<Object> h = held;
        if (h == null) {
            return false;
        }
        if (overflowed) {
            return true; // dropped: the interruption already held covers it
        }
        if (h.size() >= maxHeld) {
            h.clear();
            h.add(INTERRUPTED);
            overflowed = true;
            return true;
        }
        h.add(item);
        return true;
    }

    /**
     * The history is read: tells the listener how the subscription started, then replays what it
     * missed (if every missed message is there) and what was held, and ends that burst. Called once.
     */
    void release(HistoryResult history) {
        replay(history);
        target.onBurstEnd(); // outside the lock: a server listener flushes its connection here
    }

    private synchronized void replay(HistoryResult history) {
        List<Object> pending = held;
        if (pending == null) {
            throw new IllegalStateException("released twice");
        }
        StreamPosition top = history.top();
        List<Message> replay = recoverable(history) ? missed(history) : null;
        target.onSubscribed(new SubscribeResult(top, replay != null));
        if (replay != null) {
            delivered = top.offset();
            replay.forEach(target::onMessage);
        }
        for (Object item : pending) {
            if (item == INTERRUPTED) {
                interrupted();
            } else if (((Message) item).offset() > delivered) {
                target.onMessage((Message) item);
            }
        }
        held = null;
        live = true;
    }

    /** Same epoch, and the history reaches back to the client's position (or nothing was missed). */
    private boolean recoverable(HistoryResult history) {
        StreamPosition top = history.top();
        if (recover == null || !recover.epoch().equals(top.epoch())) {
            return false;
        }
        long since = recover.offset();
        if (since == top.offset()) {
            return true;
        }
        List<Message> missed = history.messages();
        return since < top.offset()
                && !missed.isEmpty()
                && missed.get(0).offset() == since + 1
                && missed.get(missed.size() - 1).offset() == top.offset();
    }

    private List<Message> missed(HistoryResult history) {
        return recover != null && recover.offset() == history.top().offset() ? List.of() : history.messages();
    }
}
