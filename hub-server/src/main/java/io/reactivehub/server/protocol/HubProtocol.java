package io.reactivehub.server.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Codec;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.PresenceEvent;
import io.reactivehub.core.SubscribeResult;
import io.reactivehub.core.codec.HubPushCodec;
import io.reactivehub.server.LogText;
import io.reactivehub.server.auth.Principal;
import io.reactivehub.server.auth.TokenVerifier;
import io.reactivehub.server.session.Deliveries;
import io.reactivehub.server.session.ProtocolHandler;
import io.reactivehub.server.session.Session;
import io.reactivehub.server.session.Subscriptions;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub protocol (version 1) on {@code /hub}: JSON commands in text frames
 * ({@link CommandParser}), each answered with a reply or an error ({@link HubJson}); messages
 * pushed as {@code {"channel":"room","offset":7,"data":...}} ({@link HubPushCodec}). A bad command
 * gets an error reply and the connection stays open.
 */
public final class HubProtocol implements ProtocolHandler {
    private static final Logger log = LoggerFactory.getLogger(HubProtocol.class);

    private final Codec compressed;

    /** @param compressed the server's one shared compressing form of {@link HubPushCodec} */
    public HubProtocol(Codec compressed) {
        this.compressed = compressed;
    }

    @Override
    public Codec codec(boolean deflate) {
        return deflate ? compressed : HubPushCodec.INSTANCE;
    }

    /**
     * Subscribes the connection to its server-side channels (the token's {@code channels} claim or
     * the connect hook's answer), within the subscription limit; each confirmed one is announced
     * with a {@code subscribed} push.
     */
    @Override
    public void opened(Session session) {
        Principal principal = session.principal();
        if (principal == null || principal.channels().isEmpty()) {
            return;
        }
        int max = session.config().limits().maxSubscriptions();
        for (ChannelName channel : principal.channels()) {
            if (session.subscriptions().count() >= max) {
                log.info(
                        "session {}: more server-side channels than the subscription limit {}; the rest left out",
                        session.id(),
                        max);
                return;
            }
            if (session.subscriptions().contains(channel)) {
                continue;
            }
            session.subscriptions()
                    .subscribe(channel, new Pushes(session, channel, null, null, false), null)
                    .subscribe(
                            null,
                            e -> Failure.of(
                                    e,
                                    "session " + session.id() + ": server-side subscription to " + channel,
                                    session.metrics()));
        }
    }

    /** A server-side subscription, as at connect: a {@code subscribed} push once confirmed. */
    @Override
    public boolean subscribeByServer(Session session, ChannelName channel) {
        if (session.subscriptions().contains(channel)) {
            return true;
        }
        if (session.subscriptions().count() >= session.config().limits().maxSubscriptions()) {
            log.info(
                    "session {}: server API subscribe to {} over the subscription limit; left out",
                    session.id(),
                    channel);
            return false;
        }
        session.subscriptions()
                .subscribe(channel, new Pushes(session, channel, null, null, false), null)
                .subscribe(
                        null,
                        e -> Failure.of(
                                e,
                                "session " + session.id() + ": server API subscription to " + channel,
                                session.metrics()));
        return true;
    }

    /** Ends the subscription; a confirmed one with an {@code unsubscribed} push (4009). */
    @Override
    public boolean unsubscribeByServer(Session session, ChannelName channel) {
        Subscriptions.Left left = session.subscriptions()
                .leave(channel, new HubException(ErrorCode.NOT_SUBSCRIBED, "unsubscribed by the server"));
        if (left == Subscriptions.Left.CONFIRMED) {
            reply(session, HubJson.serverUnsubscribedPush(channel));
        }
        return left != Subscriptions.Left.NOT_SUBSCRIBED;
    }

    @Override
    public void onFrame(Session session, WebSocketFrame frame) {
        if (frame instanceof PongWebSocketFrame) {
            return;
        }
        if (!(frame instanceof TextWebSocketFrame)) {
            reject(session, NullNode.getInstance(), ErrorCode.MALFORMED, "the hub protocol takes JSON in text frames");
            return;
        }
        Command command;
        try {
            command = CommandParser.parse(frame.content());
        } catch (CommandException e) {
            reject(session, e.id(), e.errorCode(), e.getMessage());
            return;
        }
        try {
            run(session, command);
        } catch (HubException e) {
            reject(session, command.id(), e.errorCode(), e.getMessage());
        }
    }

    private void run(Session session, Command command) {
        // Publishes have their own budget; subscribes are bounded by --max-subscriptions (and a
        // client that reconnects subscribes to all its channels at once), while the unsubscribe
        // that a subscribe/unsubscribe toggle needs is budgeted.
        if (!(command instanceof Command.Publish || command instanceof Command.Subscribe) && !session.mayCommand()) {
            throw new HubException(
                    ErrorCode.RATE_LIMITED,
                    "command rate limit exceeded (" + session.config().limits().commandRate() + "/s)");
        }
        if (command instanceof Command.Subscribe c) {
            subscribe(session, c);
        } else if (command instanceof Command.Unsubscribe c) {
            if (!session.subscriptions().unsubscribe(c.channel())) {
                throw new HubException(ErrorCode.NOT_SUBSCRIBED, "not subscribed to " + c.channel());
            }
            reply(session, HubJson.ok(c.id()));
        } else if (command instanceof Command.Publish c) {
            publish(session, c);
        } else if (command instanceof Command.History c) {
            history(session, c);
        } else if (command instanceof Command.Presence c) {
            presence(session, c);
        } else if (command instanceof Command.Refresh c) {
            refresh(session, c);
        } else if (command instanceof Command.Rpc c) {
            HookCalls.rpc(session, c);
        } else {
            reply(session, HubJson.ok(command.id())); // ping
        }
    }

    /**
     * In order: already subscribed (106); another user's personal channel (112); a token whose
     * {@code subs} allow the channel subscribes at once; otherwise the subscribe hook decides if
     * there is one, else the token (112 when it does not allow it); then the subscription limit (110).
     */
    private void subscribe(Session session, Command.Subscribe c) {
        ChannelName channel = c.channel();
        if (session.subscriptions().contains(channel)) {
            throw new HubException(ErrorCode.ALREADY_SUBSCRIBED, "already subscribed to " + channel);
        }
        if (!session.owns(channel)) {
            throw new HubException(ErrorCode.PERMISSION_DENIED, "the personal channel of another user: " + channel);
        }
        Principal principal = session.principal();
        boolean tokenAllows = principal != null && principal.fromToken() && principal.maySubscribe(channel);
        if (session.config().hooks().subscribe() != null && !tokenAllows) {
            checkSubscriptionLimit(session);
            HookCalls.subscribe(session, c);
            return;
        }
        if (!session.maySubscribe(channel)) {
            throw new HubException(ErrorCode.PERMISSION_DENIED, "not allowed to subscribe to " + channel);
        }
        checkSubscriptionLimit(session);
        attach(session, c, null);
    }

    static void checkSubscriptionLimit(Session session) {
        int max = session.config().limits().maxSubscriptions();
        if (session.subscriptions().count() >= max) {
            throw new HubException(ErrorCode.LIMIT_EXCEEDED, "at most " + max + " subscriptions per connection");
        }
    }

    /**
     * The subscription itself. The reply is sent by the listener's onSubscribed: once the broker
     * delivers the channel here, before any recovered or live push; whatever is published after
     * the client reads it reaches the client.
     *
     * @param info the subscribe hook's info, sent in the reply; or null
     */
    static void attach(Session session, Command.Subscribe c, @Nullable JsonNode info) {
        session.subscriptions()
                .subscribe(c.channel(), new Pushes(session, c.channel(), c, info, c.joinLeave()), c.recover())
                .subscribe(null, e -> failed(session, c.id(), "subscribe to " + c.channel(), e));
    }

    private void publish(Session session, Command.Publish c) {
        if (!session.mayPublishTo(c.channel())) {
            throw new HubException(ErrorCode.PERMISSION_DENIED, "not allowed to publish to " + c.channel());
        }
        if (!session.mayPublish()) {
            throw new HubException(
                    ErrorCode.RATE_LIMITED,
                    "publish rate limit exceeded (" + session.config().limits().publishRate() + " msg/s)");
        }
        if (session.config().hooks().publish() != null) {
            HookCalls.publish(session, c);
            return;
        }
        send(session, c, c.payload());
    }

    /** Publishes {@code payload} (the client's, or the publish hook's replacement) and replies. */
    static void send(Session session, Command.Publish c, byte[] payload) {
        long start = System.nanoTime();
        session.hub()
                .publish(c.channel(), payload, PayloadType.JSON)
                .subscribe(
                        result -> {
                            session.metrics().published(payload.length, start);
                            reply(session, HubJson.published(c.id(), result));
                        },
                        e -> failed(session, c.id(), "publish to " + c.channel(), e));
    }

    /**
     * Reading a channel (history, presence) takes what subscribing takes without asking the hook:
     * the token allows it, or (with a subscribe hook) the connection subscribes to it now.
     */
    private static boolean mayRead(Session session, ChannelName channel) {
        if (session.config().hooks().subscribe() == null) {
            return session.maySubscribe(channel);
        }
        Principal p = session.principal();
        return session.subscriptions().contains(channel) || (p != null && p.fromToken() && p.maySubscribe(channel));
    }

    private void history(Session session, Command.History c) {
        if (!mayRead(session, c.channel())) {
            throw new HubException(ErrorCode.PERMISSION_DENIED, "not allowed to read " + c.channel());
        }
        session.hub()
                .history(c.channel(), c.since(), c.limit())
                .subscribe(
                        history -> reply(
                                session,
                                HubJson.history(
                                        c.id(), history, session.config().maxReplyBytes())),
                        e -> failed(session, c.id(), "history of " + c.channel(), e));
    }

    private void presence(Session session, Command.Presence c) {
        if (!mayRead(session, c.channel())) {
            throw new HubException(ErrorCode.PERMISSION_DENIED, "not allowed to read " + c.channel());
        }
        session.hub()
                .presence(c.channel())
                .subscribe(
                        clients -> reply(session, HubJson.presence(c.id(), clients)),
                        e -> failed(session, c.id(), "presence of " + c.channel(), e));
    }

    /**
     * A fresh token for the same subject extends the connection and replaces its permissions:
     * subscriptions the new token does not allow end.
     */
    private void refresh(Session session, Command.Refresh c) {
        TokenVerifier tokens = session.config().tokens();
        Principal current = session.principal();
        if (tokens == null || current == null) {
            throw new HubException(ErrorCode.INVALID_FIELD, "authentication is off: nothing to refresh");
        }
        if (!current.fromToken()) {
            throw new HubException(
                    ErrorCode.INVALID_FIELD, "the connect hook allowed this connection: its refresh hook extends it");
        }
        Principal next;
        try {
            next = tokens.verify(CommandParser.text(c.token(), "token"));
        } catch (TokenVerifier.InvalidTokenException e) {
            session.metrics().authFailure();
            throw new HubException(ErrorCode.INVALID_TOKEN, e.getMessage());
        }
        if (!next.subject().equals(current.subject())) {
            session.metrics().authFailure();
            throw new HubException(ErrorCode.INVALID_TOKEN, "the new token is for another subject");
        }
        session.refreshed(next);
        withdraw(session, next);
        ObjectNode reply = HubJson.ok(c.id());
        reply.put("expires", java.util.Objects.requireNonNull(next.expiresAt()).getEpochSecond());
        reply(session, reply);
    }

    /**
     * Ends the subscriptions a refreshed token no longer allows, before the refresh's reply: a
     * confirmed one with an {@code unsubscribed} push (4005), a pending subscribe with error 112.
     */
    private static void withdraw(Session session, Principal next) {
        for (ChannelName channel : session.subscriptions().channels()) {
            if (next.maySubscribe(channel)) {
                continue;
            }
            Subscriptions.Left left = session.subscriptions()
                    .leave(
                            channel,
                            new HubException(
                                    ErrorCode.PERMISSION_DENIED,
                                    "the refreshed token does not allow subscribing to " + channel));
            if (left == Subscriptions.Left.CONFIRMED) {
                log.info(
                        "session {}: the refreshed token of '{}' does not allow {}; unsubscribed ({})",
                        session.id(),
                        LogText.escape(next.subject()),
                        channel,
                        HubJson.PERMISSION_WITHDRAWN);
                reply(session, HubJson.permissionWithdrawnPush(channel));
            }
        }
    }

    /** Answers a failed asynchronous operation with its error code. */
    static void failed(Session session, JsonNode id, String what, Throwable e) {
        Failure failure = Failure.of(e, "session " + session.id() + ": " + what, session.metrics());
        reject(session, id, failure.code(), failure.message());
    }

    static void reject(Session session, JsonNode id, ErrorCode code, String message) {
        if (session.mayLogMisbehaviour()) {
            log.info("session {}: rejected command: {} {}", session.id(), code.code(), LogText.escape(message));
        }
        session.metrics().protocolError();
        reply(session, HubJson.error(id, code, message));
    }

    static void reply(Session session, ObjectNode reply) {
        session.send(HubJson.frame(reply));
    }

    @Override
    public String describe(Session session) {
        return "hub protocol, " + session.subscriptions().count() + " channels";
    }

    /**
     * A subscription's listener: its reply on subscribe (or, for a server-side subscription, a
     * {@code subscribed} push), messages encoded once for every subscriber, join/leave pushes if
     * asked for, and an {@code unsubscribed} push when this node lost messages of the channel.
     */
    private static final class Pushes extends Deliveries {
        private final Session session;
        private final ChannelName channel;
        private final Command.@Nullable Subscribe command;
        private final @Nullable JsonNode info;
        private final boolean joinLeave;

        Pushes(
                Session session,
                ChannelName channel,
                Command.@Nullable Subscribe command,
                @Nullable JsonNode info,
                boolean joinLeave) {
            super(session);
            this.session = session;
            this.channel = channel;
            this.command = command;
            this.info = info;
            this.joinLeave = joinLeave;
        }

        @Override
        public void onSubscribed(SubscribeResult result) {
            // Not sent if the subscription ended first (unsubscribed while pending: error 107).
            Command.Subscribe c = command;
            if (c == null) {
                confirm(() -> reply(session, HubJson.subscribedPush(channel, result)));
                return;
            }
            confirm(() -> {
                ObjectNode reply = HubJson.subscribed(c.id(), result, c.recover() != null);
                if (info != null) {
                    reply.set("info", info);
                }
                reply(session, reply);
            });
        }

        @Override
        public void onPresence(PresenceEvent event) {
            if (joinLeave && active()) {
                reply(session, HubJson.presencePush(channel, event));
            }
        }

        @Override
        public void onInterrupted() {
            stop();
            if (session.subscriptions().unsubscribe(channel)) {
                session.metrics().resubscribeRequested();
                log.info(
                        "session {}: messages of {} were lost on this node; asking the client to resubscribe ({})",
                        session.id(),
                        channel,
                        HubJson.RESUBSCRIBE);
                reply(session, HubJson.unsubscribedPush(channel));
            }
        }
    }
}
