package io.reactivehub.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.Message;
import io.reactivehub.core.PayloadType;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CodecTest {
    private static final ChannelName ROOM = ChannelName.of("room");

    private static byte[] bytes(ByteBuf buf) {
        byte[] out = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), out);
        return out;
    }

    private static String payloadOf(ByteBuf frame, int headerLength) {
        byte[] all = bytes(frame);
        return new String(all, headerLength, all.length - headerLength, StandardCharsets.UTF_8);
    }

    @Test
    void rawTextIsOneUnmaskedFinalTextFrame() {
        ByteBuf frame = RawFrameCodec.INSTANCE.encode(
                new Message(ROOM, 1, "hi".getBytes(StandardCharsets.UTF_8), PayloadType.TEXT));
        assertThat(bytes(frame)).containsExactly(0x81, 2, 'h', 'i');
    }

    @Test
    void rawBinaryKeepsItsOpcodeAndUsesExtendedLengths() {
        byte[] payload = new byte[300];
        ByteBuf frame = RawFrameCodec.INSTANCE.encode(new Message(ROOM, 1, payload, PayloadType.BINARY));
        byte[] all = bytes(frame);
        assertThat(all[0] & 0xFF).isEqualTo(0x82);
        assertThat(all[1] & 0xFF).isEqualTo(126);
        assertThat(((all[2] & 0xFF) << 8) | (all[3] & 0xFF)).isEqualTo(300);
        assertThat(all).hasSize(4 + 300);
        byte[] big = new byte[70_000];
        assertThat(bytes(RawFrameCodec.INSTANCE.encode(new Message(ROOM, 1, big, PayloadType.BINARY))))
                .hasSize(10 + 70_000);
    }

    @Test
    void hubPushEmbedsJsonAsIs() {
        ByteBuf frame = HubPushCodec.INSTANCE.encode(
                new Message(ROOM, 7, "{\"a\":1}".getBytes(StandardCharsets.UTF_8), PayloadType.JSON));
        assertThat(payloadOf(frame, 2)).isEqualTo("{\"channel\":\"room\",\"offset\":7,\"data\":{\"a\":1}}");
    }

    @Test
    void hubPushQuotesTextAndEscapesIt() {
        ByteBuf frame = HubPushCodec.INSTANCE.encode(
                new Message(ROOM, 1, "say \"hi\"\n".getBytes(StandardCharsets.UTF_8), PayloadType.TEXT));
        assertThat(payloadOf(frame, 2)).isEqualTo("{\"channel\":\"room\",\"offset\":1,\"data\":\"say \\\"hi\\\"\\n\"}");
    }

    @Test
    void hubPushCarriesBinaryAsBase64() {
        ByteBuf frame = HubPushCodec.INSTANCE.encode(new Message(ROOM, 2, new byte[] {1, 2, 3}, PayloadType.BINARY));
        assertThat(payloadOf(frame, 2))
                .isEqualTo("{\"channel\":\"room\",\"offset\":2,\"data\":\"AQID\",\"encoding\":\"base64\"}");
    }

    @Test
    void sharedViewsReadTheSameBytesAndReleaseIndependently() {
        ByteBuf frame = RawFrameCodec.INSTANCE.encode(
                new Message(ROOM, 1, "hello".getBytes(StandardCharsets.UTF_8), PayloadType.TEXT));
        ByteBuf a = WireBuffers.share(frame);
        ByteBuf b = WireBuffers.share(frame);
        a.skipBytes(3);
        assertThat(bytes(b)).containsExactly(bytes(frame));
        assertThat(a.release()).isTrue();
        assertThat(b.refCnt()).isEqualTo(1);
        assertThat(bytes(b)).containsExactly(0x81, 5, 'h', 'e', 'l', 'l', 'o');
        assertThat(b.release()).isTrue();
        assertThat(bytes(frame)).containsExactly(0x81, 5, 'h', 'e', 'l', 'l', 'o');
    }
}
