package io.reactivehub.core.testing;

import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.Message;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.SubscribeResult;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** A listener that records everything it is told, in order, for assertions. */
public final class Recorder implements ChannelListener {
    public final List<Message> messages = new CopyOnWriteArrayList<>();
    public final List<PresenceEvent> events = new CopyOnWriteArrayList<>();
    public final AtomicReference<SubscribeResult> subscribed = new AtomicReference<>();
    public final AtomicInteger interruptions = new AtomicInteger();
    /** Order check: onSubscribed must come before any message. */
    public final AtomicInteger messagesBeforeSubscribed = new AtomicInteger(-1);

    @Override
    public void onMessage(Message message) {
        messages.add(message);
    }

    @Override
    public void onSubscribed(SubscribeResult result) {
        messagesBeforeSubscribed.set(messages.size());
        subscribed.set(result);
    }

    @Override
    public void onPresence(PresenceEvent event) {
        events.add(event);
    }

    @Override
    public void onInterrupted() {
        interruptions.incrementAndGet();
    }

    public List<String> texts() {
        return messages.stream().map(Message::text).toList();
    }

    public List<Long> offsets() {
        return messages.stream().map(Message::offset).toList();
    }
}
