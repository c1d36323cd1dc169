package io.reactivehub.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
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
    void onAnEventLoopThreadAReleasedViewIsUsedAgainForTheNextFrame() throws Exception {
        // Netty's Recycler pools on its own threads only (event loops are); elsewhere every view is
        // a new object. It keeps one in eight of the views it has to make, then hands released ones
        // out again: within a few rounds a view comes back, reset for its new frame.
        FutureTask<Boolean> rounds = new FutureTask<>(() -> {
            Set<ByteBuf> released = Collections.newSetFromMap(new IdentityHashMap<>());
            for (int i = 0; i < 64; i++) {
                ByteBuf view = WireBuffers.share(frame("n" + i));
                boolean reused = released.contains(view);
                assertThat(view.readerIndex()).isZero();
                assertThat(view.refCnt()).isEqualTo(1);
                assertThat(readable(view)).containsExactly(readable(frame("n" + i)));
                view.skipBytes(1);
                released.add(view);
                view.release();
                if (reused) {
                    return true;
                }
            }
            return false;
        });
        new FastThreadLocalThread(rounds, "frame-views").start();

        assertThat(rounds.get(30, TimeUnit.SECONDS))
                .as("a released view comes back from the pool")
                .isTrue();
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
