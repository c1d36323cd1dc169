package io.reactivehub.server.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ControlListener;
import io.reactivehub.server.LogText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commands about a user's connections, as they travel between nodes (small JSON: {@code
 * {"op":"disconnect","user":"ann","code":4008,"reason":"..."}}, {@code subscribe} and {@code
 * unsubscribe} with a {@code channel}, {@code refresh} with {@code expires} in epoch seconds), and
 * what each node does with them: it applies them to its own sessions of that user, each on the
 * session's event loop. It also counts this node's connections and users for the node list.
 * Thread-safe; commands arrive on a broker thread and only hand work to event loops.
 */
public final class UserControl implements ControlListener {
    private static final Logger log = LoggerFactory.getLogger(UserControl.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SessionRegistry sessions;

    public UserControl(SessionRegistry sessions) {
        this.sessions = sessions;
    }

    public static byte[] disconnect(String user, DisconnectReason reason) {
        ObjectNode c = command("disconnect", user);
        c.put("code", reason.code());
        c.put("reason", reason.reason());
        return bytes(c);
    }

    public static byte[] subscribe(String user, ChannelName channel) {
        return bytes(command("subscribe", user).put("channel", channel.value()));
    }

    public static byte[] unsubscribe(String user, ChannelName channel) {
        return bytes(command("unsubscribe", user).put("channel", channel.value()));
    }

    public static byte[] refresh(String user, Instant expiresAt) {
        return bytes(command("refresh", user).put("expires", expiresAt.getEpochSecond()));
    }

    private static ObjectNode command(String op, String user) {
        ObjectNode c = JSON.createObjectNode();
        c.put("op", op);
        c.put("user", user);
        return c;
    }

    private static byte[] bytes(ObjectNode c) {
        return c.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public long connections() {
        return sessions.size();
    }

    @Override
    public long users() {
        return sessions.users();
    }

    @Override
    public void onControl(byte[] command) {
        JsonNode c;
        try {
            c = JSON.readTree(command);
        } catch (IOException e) {
            log.warn("ignoring a malformed control command ({} bytes)", command.length);
            return;
        }
        String op = c.path("op").asText();
        String user = c.path("user").asText();
        if (user.isEmpty()) {
            return;
        }
        var of = sessions.sessionsOf(user);
        if (of.isEmpty()) {
            return;
        }
        switch (op) {
            case "disconnect" -> {
                DisconnectReason reason = new DisconnectReason(
                        c.path("code").asInt(io.reactivehub.server.CloseCodes.DISCONNECTED_BY_SERVER),
                        c.path("reason").asText(""));
                log.info(
                        "server API: disconnecting {} connections of '{}' here with {}",
                        of.size(),
                        LogText.escape(user),
                        reason.code());
                of.forEach(s -> s.close(reason));
            }
            case "subscribe", "unsubscribe" -> {
                String name = c.path("channel").asText();
                if (!ChannelName.isValid(name)) {
                    return;
                }
                ChannelName channel = ChannelName.of(name);
                boolean subscribe = op.equals("subscribe");
                of.forEach(s -> s.execute(() -> {
                    if (subscribe) {
                        s.subscribeByServer(channel);
                    } else {
                        s.unsubscribeByServer(channel);
                    }
                }));
            }
            case "refresh" -> {
                Instant at = Instant.ofEpochSecond(c.path("expires").asLong());
                of.forEach(s -> s.execute(() -> s.expireAt(at)));
            }
            default -> log.debug("ignoring control command '{}'", LogText.escape(op));
        }
    }
}
