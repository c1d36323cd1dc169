package io.reactivehub.core.broker;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.Message;

/**
 * The hub's side of a {@link Broker}: one callback per kind of event. A broker calls these one at
 * a time per channel, on its own thread (the publisher's, or the Redis pub/sub thread of the
 * channel's shard); implementations only hand over to queues and never block.
 */
public interface BrokerListener {

    /**
     * A message of a subscribed channel, in offset order.
     *
     * @return how many local subscribers it was handed to
     */
    int onMessage(Message message);

    /** A client joined a subscribed channel that announces joins and leaves. */
    void onJoin(ChannelName channel, ClientInfo client);

    /** A client left a subscribed channel that announces joins and leaves. */
    void onLeave(ChannelName channel, ClientInfo client);

    /**
     * Messages of the channel were lost on their way to this node (the link to the broker broke, or
     * the channel's history was reset): what follows is not contiguous with what came before.
     */
    void onInterrupted(ChannelName channel);
}
