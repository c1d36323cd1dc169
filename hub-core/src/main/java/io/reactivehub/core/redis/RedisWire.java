package io.reactivehub.core.redis;

import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ClientInfo;
import io.reactivehub.core.Message;
import io.reactivehub.core.OccupancyEvent;
import io.reactivehub.core.PayloadType;
import io.reactivehub.core.PresenceEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The hub's data in Redis, in one place: key names, the pub/sub body, payload type codes, the
 * encoding of a presence entry's user. {@link RedisScripts} documents the same layout from the
 * scripts' side.
 *
 * <p>Keys of channel {@code c} share the hash tag {@code {c}} (one cluster slot):
 * {@code hub:{c}:m} numbering, {@code hub:{c}:h} history, {@code hub:{c}:p} and {@code hub:{c}:z}
 * presence; the pub/sub channel is {@code hub:{c}}. A pub/sub body is
 * {@code <type><offset>:<epoch>:<payload>} for a message, {@code j<client>\0<user>} for a join and
 * {@code l<client>\0<user>} for a leave; {@code <user>} is {@code +name}, or {@code -} for none.
 */
final class RedisWire {
    private static final byte JOIN = 'j';
    private static final byte LEAVE = 'l';

    private RedisWire() {}

    /** The pub/sub channel of a hub channel, and the prefix of its keys. */
    static String tag(ChannelName channel) {
        return "hub:{" + channel.value() + "}";
    }

    /** Numbering hash and history stream. */
    static String[] streamKeys(String tag) {
        return new String[] {tag + ":m", tag + ":h"};
    }

    /** Numbering hash only. */
    static String[] metaKeys(String tag) {
        return new String[] {tag + ":m"};
    }

    /** Presence hash (client → user) and expiry sorted set. */
    static String[] presenceKeys(String tag) {
        return new String[] {tag + ":p", tag + ":z"};
    }

    /** The one-byte code of a payload type, as the scripts store and publish it. */
    static byte typeCode(PayloadType type) {
        return switch (type) {
            case TEXT -> '0';
            case BINARY -> '1';
            case JSON -> '2';
        };
    }

    static PayloadType type(byte code) {
        return switch (code) {
            case '0' -> PayloadType.TEXT;
            case '1' -> PayloadType.BINARY;
            case '2' -> PayloadType.JSON;
            default -> throw new IllegalArgumentException("unknown payload type code " + (char) code);
        };
    }

    /** A decoded pub/sub body: a message or a presence announcement. */
    sealed interface Body permits Published, Announced {}

    record Published(long offset, String epoch, PayloadType type, byte[] payload) implements Body {}

    record Announced(PresenceEvent event) implements Body {}

    /** A join or leave as published on the channel's pub/sub channel. */
    static byte[] announcement(PresenceEvent event) {
        byte[] client = event.client().client().getBytes(StandardCharsets.UTF_8);
        byte[] user = encodeUser(event.client().user());
        byte[] body = new byte[1 + client.length + 1 + user.length];
        body[0] = event.joined() ? JOIN : LEAVE;
        System.arraycopy(client, 0, body, 1, client.length);
        System.arraycopy(user, 0, body, client.length + 2, user.length);
        return body;
    }

    /** @throws IllegalArgumentException for a body this hub did not write */
    static Body decode(byte[] body) {
        if (body.length == 0) {
            throw new IllegalArgumentException("empty body");
        }
        byte kind = body[0];
        if (kind == JOIN || kind == LEAVE) {
            int zero = indexOf(body, (byte) 0, 1);
            String client = new String(body, 1, zero - 1, StandardCharsets.UTF_8);
            String user = decodeUser(Arrays.copyOfRange(body, zero + 1, body.length));
            return new Announced(new PresenceEvent(kind == JOIN, new ClientInfo(client, user)));
        }
        int colon1 = indexOf(body, (byte) ':', 1);
        int colon2 = indexOf(body, (byte) ':', colon1 + 1);
        long offset = Long.parseLong(new String(body, 1, colon1 - 1, StandardCharsets.US_ASCII));
        String epoch = new String(body, colon1 + 1, colon2 - colon1 - 1, StandardCharsets.US_ASCII);
        return new Published(offset, epoch, type(kind), Arrays.copyOfRange(body, colon2 + 1, body.length));
    }

    /** One history stream entry, {@code [id "0-<offset>", [field, value, ...]]}, as a message. */
    static Message historyEntry(ChannelName channel, String epoch, List<?> entry) {
        String id = text(entry.get(0));
        long offset = Long.parseLong(id.substring(id.indexOf('-') + 1));
        List<?> fields = (List<?>) entry.get(1);
        byte[] payload = new byte[0];
        PayloadType type = PayloadType.BINARY;
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            String field = text(fields.get(i));
            byte[] value = (byte[]) fields.get(i + 1);
            if (field.equals("p")) {
                payload = value;
            } else if (field.equals("t") && value.length == 1) {
                type = type(value[0]);
            }
        }
        return new Message(channel, offset, epoch, payload, type);
    }

    static byte[] encodeUser(@Nullable String user) {
        return user == null ? new byte[] {'-'} : ("+" + user).getBytes(StandardCharsets.UTF_8);
    }

    static @Nullable String decodeUser(byte[] encoded) {
        if (encoded.length == 0 || encoded[0] != '+') {
            return null;
        }
        return new String(encoded, 1, encoded.length - 1, StandardCharsets.UTF_8);
    }

    static byte[] ascii(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A reply element as text (Redis answers bulk strings as bytes with this codec). */
    static String text(Object value) {
        return value instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        throw new IllegalArgumentException("separator missing");
    }

    /** Prefix of every occupancy key: one hash tag, one slot (see {@link RedisScripts#OCCUPANCY}). */
    static final String OCCUPANCY_PREFIX = "hub:{occ}:";
    /** The pub/sub channel of occupancy events. */
    static final String OCCUPANCY_EVENTS = OCCUPANCY_PREFIX + "events";

    /** Nodes by lease expiry, the node's entry set, the sweeper's lock. */
    static String[] occupancyKeys(String node) {
        return new String[] {OCCUPANCY_PREFIX + "nodes", OCCUPANCY_PREFIX + "n:" + node, OCCUPANCY_PREFIX + "sweep"};
    }

    /**
     * An occupancy event as the script publishes and returns it:
     * {@code <t><x>|<ms>|<node>|<reporter>|<name>}.
     *
     * @throws IllegalArgumentException for a body this hub did not write
     */
    static OccupancyEvent occupancyEvent(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        int a = text.indexOf('|');
        int b = text.indexOf('|', a + 1);
        int c = text.indexOf('|', b + 1);
        int d = text.indexOf('|', c + 1);
        if (a != 2 || b < 0 || c < 0 || d < 0) {
            throw new IllegalArgumentException("not an occupancy event");
        }
        OccupancyEvent.Type type = switch (text.charAt(0)) {
            case 'o' -> OccupancyEvent.Type.OCCUPIED;
            case 'v' -> OccupancyEvent.Type.VACATED;
            case 'n' -> OccupancyEvent.Type.ONLINE;
            case 'f' -> OccupancyEvent.Type.OFFLINE;
            default -> throw new IllegalArgumentException("unknown occupancy event type");
        };
        return new OccupancyEvent(
                type,
                text.substring(d + 1),
                text.substring(b + 1, c),
                Instant.ofEpochMilli(Long.parseLong(text.substring(a + 1, b))),
                text.charAt(1) == '1',
                text.substring(c + 1, d));
    }
}
