package io.reactivehub.server.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;
import io.reactivehub.server.LogText;
import io.reactivehub.server.auth.Principal;
import io.reactivehub.server.hooks.Hooks;
import io.reactivehub.server.hooks.PublishRequest;
import io.reactivehub.server.hooks.RpcRequest;
import io.reactivehub.server.hooks.SubscribeRequest;
import io.reactivehub.server.session.Session;
import java.io.IOException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub protocol's commands that ask the application: subscribe and publish through their hooks,
 * and rpc. Each call is bounded (the hook timeout; at most {@value Session#MAX_HOOK_CALLS} in
 * flight per connection, or waiting publishes, else error 110) and answered exactly once: the
 * hook's decision, or error 119 when it failed. A client's publishes through the hook stay in the
 * order sent.
 */
final class HookCalls {
    private static final Logger log = LoggerFactory.getLogger(HookCalls.class);

    private HookCalls() {}

    static void subscribe(Session session, Command.Subscribe c) {
        Hooks hooks = session.config().hooks();
        Hooks.Subscribe hook = Objects.requireNonNull(hooks.subscribe());
        startCall(session);
        SubscribeRequest request = new SubscribeRequest(session.id(), session.user(), c.channel(), info(session));
        hooks.call("subscribe", "session " + session.id(), hooks.timeout(), () -> hook.onSubscribe(request))
                .doFinally(signal -> session.hookCallEnded())
                .subscribe(
                        decision -> {
                            if (!decision.allowed()) {
                                denied(session, c.id(), "subscribe to " + c.channel(), decision.reason());
                            } else if (session.isOpen()) {
                                try {
                                    // Checked again: other subscribes may have landed while the hook thought.
                                    if (session.subscriptions().contains(c.channel())) {
                                        throw new HubException(
                                                ErrorCode.ALREADY_SUBSCRIBED, "already subscribed to " + c.channel());
                                    }
                                    HubProtocol.checkSubscriptionLimit(session);
                                    HubProtocol.attach(session, c, decision.info());
                                } catch (HubException e) {
                                    HubProtocol.reject(session, c.id(), e.errorCode(), e.getMessage());
                                }
                            }
                        },
                        e -> HubProtocol.failed(session, c.id(), "subscribe to " + c.channel(), e));
    }

    static void publish(Session session, Command.Publish c) {
        Hooks hooks = session.config().hooks();
        Hooks.Publish hook = Objects.requireNonNull(hooks.publish());
        JsonNode data = parse(c.payload());
        PublishRequest request = new PublishRequest(session.id(), session.user(), c.channel(), data, info(session));
        boolean queued = session.publishes()
                .offer(() -> hooks.call(
                                "publish", "session " + session.id(), hooks.timeout(), () -> hook.onPublish(request))
                        .doOnNext(decision -> {
                            if (!decision.allowed()) {
                                denied(session, c.id(), "publish to " + c.channel(), decision.reason());
                                return;
                            }
                            JsonNode replaced = decision.data();
                            byte[] payload = replaced == null ? c.payload() : HubJson.payload(replaced);
                            int max = session.config().maxMessageSize();
                            if (payload.length > max) {
                                HubProtocol.reject(
                                        session,
                                        c.id(),
                                        ErrorCode.HOOK_FAILED,
                                        "the publish hook's data is over the maximum message size (" + max + " bytes)");
                                return;
                            }
                            HubProtocol.send(session, c, payload);
                        })
                        .doOnError(e -> HubProtocol.failed(session, c.id(), "publish to " + c.channel(), e)));
        if (!queued) {
            throw new HubException(
                    ErrorCode.LIMIT_EXCEEDED,
                    "at most " + Session.MAX_HOOK_CALLS + " publishes may wait for the publish hook");
        }
    }

    static void rpc(Session session, Command.Rpc c) {
        Hooks hooks = session.config().hooks();
        Hooks.Rpc hook = hooks.rpc();
        if (hook == null) {
            throw new HubException(ErrorCode.NOT_ENABLED, "rpc is not enabled on this hub");
        }
        startCall(session);
        RpcRequest request = new RpcRequest(session.id(), session.user(), c.method(), c.data(), info(session));
        long maxBytes = session.config().maxReplyBytes();
        hooks.call("rpc", "session " + session.id(), hooks.timeout(), () -> hook.onRpc(request))
                .doFinally(signal -> session.hookCallEnded())
                .subscribe(
                        result -> {
                            if (!result.ok()) {
                                HubProtocol.reject(session, c.id(), ErrorCode.RPC_ERROR, result.message());
                            } else if (HubJson.payload(result.data()).length > maxBytes) {
                                HubProtocol.reject(
                                        session,
                                        c.id(),
                                        ErrorCode.HOOK_FAILED,
                                        "the rpc hook's data is over " + maxBytes + " bytes");
                            } else {
                                HubProtocol.reply(session, HubJson.rpc(c.id(), result.data()));
                            }
                        },
                        e -> HubProtocol.failed(session, c.id(), "rpc", e));
    }

    private static void startCall(Session session) {
        if (!session.tryHookCall()) {
            throw new HubException(
                    ErrorCode.LIMIT_EXCEEDED,
                    "at most " + Session.MAX_HOOK_CALLS + " hook calls in flight per connection");
        }
    }

    private static void denied(Session session, JsonNode id, String what, String reason) {
        if (session.mayLogMisbehaviour()) {
            log.info("session {}: {} denied by the application: {}", session.id(), what, LogText.escape(reason));
        }
        session.metrics().protocolError();
        HubProtocol.reply(session, HubJson.error(id, ErrorCode.PERMISSION_DENIED, reason));
    }

    private static @Nullable JsonNode info(Session session) {
        Principal p = session.principal();
        return p == null ? null : p.info();
    }

    /** The publish's data as JSON again (it was valid JSON when parsed from the command). */
    private static JsonNode parse(byte[] payload) {
        try {
            return HubJson.MAPPER.readTree(payload);
        } catch (IOException e) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'data' is not JSON");
        }
    }
}
