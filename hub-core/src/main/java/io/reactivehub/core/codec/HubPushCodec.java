package io.reactivehub.core.codec;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.netty.buffer.ByteBuf;
import io.reactivehub.core.Codec;
import io.reactivehub.core.Message;
import io.reactivehub.core.PayloadType;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The hub protocol's push: one text frame
 * {@code {"channel":"room","offset":7,"data":<payload>}}. A JSON payload is embedded as is, text
 * as a JSON string, binary as a base64 string with {@code "encoding":"base64"}.
 */
public final class HubPushCodec implements Codec {
    public static final HubPushCodec INSTANCE = new HubPushCodec();

    private static final byte[] CHANNEL = "{\"channel\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OFFSET = "\",\"offset\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = ",\"data\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BASE64 = ",\"encoding\":\"base64\"".getBytes(StandardCharsets.US_ASCII);

    private HubPushCodec() {}

    @Override
    public ByteBuf encode(Message message) {
        // Channel names need no JSON escaping: ChannelName allows no quote, backslash or control character.
        byte[] channel = message.channel().value().getBytes(StandardCharsets.US_ASCII);
        byte[] offset = Long.toString(message.offset()).getBytes(StandardCharsets.US_ASCII);
        byte[] data = data(message);
        boolean base64 = isBase64(message);
        int length = CHANNEL.length
                + channel.length
                + OFFSET.length
                + offset.length
                + DATA.length
                + data.length
                + (base64 ? BASE64.length : 0)
                + 1;
        ByteBuffer out = WireBuffers.startFrame(WireBuffers.OPCODE_TEXT, length);
        out.put(CHANNEL).put(channel).put(OFFSET).put(offset).put(DATA).put(data);
        if (base64) {
            out.put(BASE64);
        }
        out.put((byte) '}');
        return WireBuffers.finish(out);
    }

    /**
     * The JSON value of a message's {@code data} field, as UTF-8: a JSON payload as is, text as a
     * JSON string, binary as a base64 string (see {@link #isBase64}). Every place that writes
     * {@code data} (pushes, history replies, the HTTP API) uses this.
     */
    public static byte[] data(Message message) {
        return switch (message.type()) {
            case JSON -> message.payload();
            case TEXT -> quoted(JsonStringEncoder.getInstance().quoteAsUTF8(message.text()));
            case BINARY -> quoted(Base64.getEncoder().encode(message.payload()));
        };
    }

    /** Whether {@link #data} is base64 (then {@code "encoding":"base64"} goes beside it). */
    public static boolean isBase64(Message message) {
        return message.type() == PayloadType.BINARY;
    }

    private static byte[] quoted(byte[] inner) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(inner.length + 2);
        out.write('"');
        out.writeBytes(inner);
        out.write('"');
        return out.toByteArray();
    }
}
