package io.reactivehub.server.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.HubException;
import io.reactivehub.core.StreamPosition;
import java.io.IOException;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;

/**
 * Turns a text frame into a {@link Command}: JSON object, known {@code op}, every field of the
 * right type. Each refusal is a {@link CommandException} with the error code the README lists.
 * Stateless; permissions and limits are the session's to check.
 */
public final class CommandParser {
    private CommandParser() {}

    /** @throws CommandException for anything that is not a valid command */
    public static Command parse(ByteBuf text) {
        JsonNode command;
        try (InputStream in = new ByteBufInputStream(text)) {
            command = HubJson.MAPPER.readTree(in);
        } catch (JsonProcessingException e) {
            throw new CommandException(
                    NullNode.getInstance(), ErrorCode.MALFORMED, "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new CommandException(NullNode.getInstance(), ErrorCode.MALFORMED, "unreadable frame");
        }
        if (command == null || !command.isObject()) {
            throw new CommandException(NullNode.getInstance(), ErrorCode.MALFORMED, "a command is a JSON object");
        }
        JsonNode id = command.path("id");
        if (id.isMissingNode()) {
            id = NullNode.getInstance();
        }
        try {
            return parse(id, command);
        } catch (HubException e) {
            throw new CommandException(id, e.errorCode(), e.getMessage());
        }
    }

    private static Command parse(JsonNode id, JsonNode command) {
        JsonNode op = command.get("op");
        if (op == null) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field 'op'");
        }
        if (!op.isTextual()) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'op' must be a string");
        }
        return switch (op.asText()) {
            case "subscribe" ->
                new Command.Subscribe(id, channel(command), recover(command), booleanField(command, "joinLeave"));
            case "unsubscribe" -> new Command.Unsubscribe(id, channel(command));
            case "publish" -> publish(id, command);
            case "history" -> history(id, command);
            case "presence" -> new Command.Presence(id, channel(command));
            case "ping" -> new Command.Ping(id);
            case "refresh" -> new Command.Refresh(id, command.path("token"));
            case "rpc" -> rpc(id, command);
            default -> throw new HubException(ErrorCode.UNKNOWN_OP, "unknown op '" + op.asText() + "'");
        };
    }

    private static Command publish(JsonNode id, JsonNode command) {
        ChannelName channel = channel(command);
        JsonNode data = command.get("data");
        if (data == null) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field 'data'");
        }
        return new Command.Publish(id, channel, HubJson.payload(data));
    }

    /** Longest rpc method name, in characters. */
    public static final int MAX_METHOD_LENGTH = 128;

    private static Command rpc(JsonNode id, JsonNode command) {
        String method = text(command.path("method"), "method");
        if (method.isEmpty() || method.length() > MAX_METHOD_LENGTH) {
            throw new HubException(
                    ErrorCode.INVALID_FIELD, "'method' must be 1 to " + MAX_METHOD_LENGTH + " characters");
        }
        JsonNode data = command.get("data");
        return new Command.Rpc(id, method, data == null ? NullNode.getInstance() : data);
    }

    private static Command history(JsonNode id, JsonNode command) {
        ChannelName channel = channel(command);
        int limit = (int) Math.min(Integer.MAX_VALUE, longField(command, "limit", 100));
        JsonNode since = command.get("since");
        Long sinceOffset = since == null || since.isNull() ? null : longField(command, "since", 0);
        return new Command.History(id, channel, limit, sinceOffset);
    }

    private static ChannelName channel(JsonNode command) {
        JsonNode channel = command.get("channel");
        if (channel == null) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field 'channel'");
        }
        if (!channel.isTextual()) {
            throw new HubException(ErrorCode.INVALID_CHANNEL, "'channel' must be a string");
        }
        return ChannelName.of(channel.asText());
    }

    /** {@code "recover":{"offset":7,"epoch":"..."}}, or null when absent. */
    private static @Nullable StreamPosition recover(JsonNode command) {
        JsonNode recover = command.get("recover");
        if (recover == null || recover.isNull()) {
            return null;
        }
        JsonNode offset = recover.get("offset");
        JsonNode epoch = recover.get("epoch");
        if (!recover.isObject()
                || offset == null
                || !offset.canConvertToLong()
                || !offset.isIntegralNumber()
                || offset.asLong() < 0
                || epoch == null
                || !epoch.isTextual()) {
            throw new HubException(
                    ErrorCode.INVALID_FIELD, "'recover' must be {\"offset\": <offset >= 0>, \"epoch\": \"<epoch>\"}");
        }
        return new StreamPosition(offset.asLong(), epoch.asText());
    }

    /**
     * A string field's value, given the field's node ({@code MissingNode} when absent).
     *
     * @throws HubException 103 when absent, 104 when not a string
     */
    static String text(JsonNode value, String name) {
        if (value.isMissingNode()) {
            throw new HubException(ErrorCode.MISSING_FIELD, "missing field '" + name + "'");
        }
        if (!value.isTextual()) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'" + name + "' must be a string");
        }
        return value.asText();
    }

    private static boolean booleanField(JsonNode command, String name) {
        JsonNode value = command.get(name);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'" + name + "' must be true or false");
        }
        return value.asBoolean();
    }

    private static long longField(JsonNode command, String name, long absent) {
        JsonNode value = command.get(name);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0) {
            throw new HubException(ErrorCode.INVALID_FIELD, "'" + name + "' must be a whole number >= 0");
        }
        return value.asLong();
    }
}
