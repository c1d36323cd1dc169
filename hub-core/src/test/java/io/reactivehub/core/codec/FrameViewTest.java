package io.reactivehub.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.IllegalReferenceCountException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What a connection's write needs of its view of a shared frame, and what it must not do to the frame. */
class FrameViewTest {
    private static ByteBuf frame(String text) {
        return WireBuffers.frame(WireBuffers.OPCODE_TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] readable(ByteBuf buf) {
        byte[] out = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), out);
        return out;
    }

    @Test
    void aViewReadsTheFramesBytesFromTheSameMemory() {
        ByteBuf frame = frame("hello");
        ByteBuf view = WireBuffers.share(frame);
        try {
            assertThat(readable(view)).containsExactly(readable(frame));
            assertThat(view.isDirect()).isTrue();
            assertThat(view.hasMemoryAddress()).isEqualTo(frame.hasMemoryAddress());
            if (frame.hasMemoryAddress()) {
                assertThat(view.memoryAddress()).isEqualTo(frame.memoryAddress());
            }
            assertThat(view.nioBufferCount()).isEqualTo(1);
            assertThat(view.nioBuffer()).isEqualTo(frame.nioBuffer());
        } finally {
            view.release();
        }
    }

    @Test
    void aPartialWriteMovesOnlyItsOwnViewsReaderIndex() throws Exception {
        ByteBuf frame = frame("hello");
        ByteBuf partial = WireBuffers.share(frame);
        ByteBuf other = WireBuffers.share(frame);
        try {
            ByteArrayOutputStream socket = new ByteArrayOutputStream();
            partial.readBytes(socket, 3);
            assertThat(socket.toByteArray()).containsExactly(0x81, 5, 'h');
            assertThat(readable(partial)).containsExactly('e', 'l', 'l', 'o');
            ByteBuffer rest = partial.internalNioBuffer(partial.readerIndex(), partial.readableBytes());
            assertThat(rest.remaining()).isEqualTo(4);

            assertThat(other.readerIndex()).isZero();
            assertThat(frame.readerIndex()).isZero();
            assertThat(readable(other)).containsExactly(0x81, 5, 'h', 'e', 'l', 'l', 'o');
        } finally {
            partial.release();
            other.release();
        }
    }

    @Test
    void aViewHasItsOwnReferenceCountAndNeverReleasesTheFrame() {
        ByteBuf frame = frame("hi");
        ByteBuf view = WireBuffers.share(frame);

        assertThat(view.release()).isTrue();

        assertThat(frame.refCnt()).isEqualTo(1);
        assertThat(readable(frame)).containsExactly(0x81, 2, 'h', 'i');
        assertThatThrownBy(view::release).isInstanceOf(IllegalReferenceCountException.class);
    }

    @Test
    void retainAndReleaseCountOnTheViewAlone() {
        ByteBuf frame = frame("hi");
        ByteBuf view = WireBuffers.share(frame);

        view.retain(2);
        assertThat(view.refCnt()).isEqualTo(3);
        assertThat(view.release(2)).isFalse();
        assertThatThrownBy(() -> view.release(2)).isInstanceOf(IllegalReferenceCountException.class);
        assertThat(view.release()).isTrue();

        assertThat(view.refCnt()).isZero();
        assertThatThrownBy(view::retain).isInstanceOf(IllegalReferenceCountException.class);
        assertThatThrownBy(() -> view.getByte(0)).isInstanceOf(IllegalReferenceCountException.class);
        assertThat(frame.refCnt()).isEqualTo(1);
    }

    @Test
    void aViewIsReadOnly() {
        ByteBuf frame = frame("hi");
        ByteBuf view = WireBuffers.share(frame);
        try {
            assertThat(view.isReadOnly()).isTrue();
            assertThat(view.isWritable()).isFalse();
            assertThatThrownBy(() -> view.setByte(0, 0)).isInstanceOf(ReadOnlyBufferException.class);
            assertThatThrownBy(() -> view.setBytes(0, new byte[1])).isInstanceOf(ReadOnlyBufferException.class);
            assertThat(readable(frame)).containsExactly(0x81, 2, 'h', 'i');
        } finally {
            view.release();
        }
    }

    @Test
    void aFrameThatIsNotTheHubsOwnIsViewedAtItsIndexes() {
        ByteBuf frame = Unpooled.directBuffer(8).writeBytes(new byte[] {9, (byte) 0x82, 1, 42});
        frame.readerIndex(1);
        ByteBuf view = WireBuffers.share(frame);
        try {
            assertThat(readable(view)).containsExactly(0x82, 1, 42);
        } finally {
            view.release();
            frame.release();
        }
    }
}
