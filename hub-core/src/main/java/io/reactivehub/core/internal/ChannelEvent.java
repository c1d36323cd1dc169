package io.reactivehub.core.internal;

import io.reactivehub.core.ChannelListener;
import io.reactivehub.core.PresenceEvent;

/**
 * What travels through a channel's sink besides messages, in line with them: a join or leave, or
 * the signal that this node lost messages. Messages themselves travel bare, so the fan-out of a
 * message allocates nothing for its envelope.
 */
sealed interface ChannelEvent {

    /** Calls the listener's callback for this event. */
    void deliverTo(ChannelListener listener);

    /** A client joined or left. */
    record Presence(PresenceEvent event) implements ChannelEvent {
        @Override
        public void deliverTo(ChannelListener listener) {
            listener.onPresence(event);
        }
    }

    /** This node lost messages of the channel. */
    enum Interrupted implements ChannelEvent {
        INSTANCE;

        @Override
        public void deliverTo(ChannelListener listener) {
            listener.onInterrupted();
        }
    }
}
