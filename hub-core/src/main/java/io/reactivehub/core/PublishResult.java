package io.reactivehub.core;

/**
 * The outcome of one publish on this node.
 *
 * @param subscribers how many local subscribers the message was handed to (0: nobody listening)
 * @param offset      the message's position in its channel (1, 2, 3, ...; 0 when no channel existed)
 */
public record PublishResult(int subscribers, long offset) {
    /** Published into a channel that had no subscriber: nothing was delivered or kept. */
    public static final PublishResult NO_SUBSCRIBERS = new PublishResult(0, 0);

    /** Whether at least one subscriber received the message. */
    public boolean delivered() {
        return subscribers > 0;
    }
}
