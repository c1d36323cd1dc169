package io.reactivehub.server.transport;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.reactivehub.server.CloseCodes;
import io.reactivehub.server.transport.FrameGuards.BoundedAggregator;
import io.reactivehub.server.transport.FrameGuards.ReservedBitsGuard;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.netty.Connection;

/**
 * The guards in an {@link EmbeddedChannel}, in the order {@link FrameGuards#install} adds them:
 * ReservedBitsGuard, Netty's Utf8FrameValidator, BoundedAggregator. Frames are written inbound as
 * Netty's WebSocket decoder would pass them on; a close frame the guards answer with is read
 * outbound. Exceptions are fired from the head of the pipeline, where the extension decoder (the
 * inflater) sits in a real connection.
 */
class FrameGuardsTest {
    private static final int MAX = 10;

    private final AtomicInteger oversized = new AtomicInteger();
    private final EmbeddedChannel channel = new EmbeddedChannel(
            new ReservedBitsGuard(oversized::incrementAndGet),
            new Utf8FrameValidator(true),
            new BoundedAggregator(MAX, oversized::incrementAndGet));

    private static ByteBuf bytes(String text) {
        return Unpooled.wrappedBuffer(text.getBytes(UTF_8));
    }

    private static ByteBuf bytes(byte... raw) {
        return Unpooled.wrappedBuffer(raw);
    }

    /** Reads the one message that came through, checks it, releases it. */
    private void assertPassedOn(Class<? extends WebSocketFrame> type, boolean finalFragment, String text) {
        Object in = channel.readInbound();
        try {
            assertThat(in).isInstanceOf(type);
            WebSocketFrame frame = (WebSocketFrame) in;
            assertThat(frame.isFinalFragment()).isEqualTo(finalFragment);
            assertThat(frame.rsv()).isZero();
            assertThat(frame.content().toString(UTF_8)).isEqualTo(text);
        } finally {
            ReferenceCountUtil.release(in);
        }
        assertThat(channel.<Object>readInbound()).isNull();
    }

    /** The guards answered with exactly one close frame carrying {@code code}, then closed the connection. */
    private void assertClosedWith(int code) {
        Object out = channel.readOutbound();
        try {
            assertThat(out).isInstanceOf(CloseWebSocketFrame.class);
            CloseWebSocketFrame close = (CloseWebSocketFrame) out;
            assertThat(close.statusCode()).isEqualTo(code);
            assertThat(close.reasonText()).isNotEmpty();
        } finally {
            ReferenceCountUtil.release(out);
        }
        assertThat(channel.<Object>readOutbound()).isNull();
        assertThat(channel.<Object>readInbound()).isNull();
        assertThat(channel.isOpen()).isFalse();
    }

    private void assertNotAnswered() {
        assertThat(channel.<Object>readOutbound()).isNull();
        assertThat(channel.isOpen()).isTrue();
    }

    @AfterEach
    void finish() {
        channel.finishAndReleaseAll();
    }

    @Nested
    class ReservedBits {
        @Test
        void aFrameWithReservedBitsClosesWithProtocolError() {
            TextWebSocketFrame frame = new TextWebSocketFrame(true, 4, bytes("hello"));

            channel.writeInbound(frame);

            assertClosedWith(CloseCodes.PROTOCOL_ERROR);
            assertThat(frame.refCnt()).isZero();
            assertThat(oversized).hasValue(0);
        }

        @ParameterizedTest(name = "rsv {0}")
        @ValueSource(ints = {1, 2, 4, 7})
        void everyReservedBitCounts(int rsv) {
            BinaryWebSocketFrame frame = new BinaryWebSocketFrame(true, rsv, bytes("x"));

            channel.writeInbound(frame);

            assertClosedWith(CloseCodes.PROTOCOL_ERROR);
            assertThat(frame.refCnt()).isZero();
        }

        @Test
        void aContinuationWithReservedBitsClosesWithProtocolError() {
            TextWebSocketFrame first = new TextWebSocketFrame(false, 0, bytes("hel"));
            ContinuationWebSocketFrame rest = new ContinuationWebSocketFrame(true, 1, bytes("lo"));
            channel.writeInbound(first);

            channel.writeInbound(rest);

            assertClosedWith(CloseCodes.PROTOCOL_ERROR);
            assertThat(rest.refCnt()).isZero();
            assertThat(first.refCnt()).as("the partial message is discarded").isZero();
            assertThatThrownBy(channel::checkException)
                    .as("the aggregator reports the cut-off message")
                    .isInstanceOf(PrematureChannelClosureException.class);
        }

        @Test
        void aFrameWithoutReservedBitsPassesUnchanged() {
            TextWebSocketFrame frame = new TextWebSocketFrame(true, 0, bytes("hello"));

            channel.writeInbound(frame);

            Object in = channel.readInbound();
            try {
                assertThat(in).isSameAs(frame);
                assertThat(frame.content().toString(UTF_8)).isEqualTo("hello");
            } finally {
                ReferenceCountUtil.release(in);
            }
            assertNotAnswered();
        }

        @Test
        void messagesOtherThanFramesPassUnchanged() {
            ByteBuf raw = bytes("raw");

            channel.writeInbound(raw);

            Object in = channel.readInbound();
            try {
                assertThat(in).isSameAs(raw);
            } finally {
                ReferenceCountUtil.release(in);
            }
            assertNotAnswered();
        }
    }

    @Nested
    class InflationFailures {
        @Test
        void anInflatedMessageOverTheLimitClosesWithMessageTooBigAndCountsIt() {
            channel.pipeline()
                    .fireExceptionCaught(
                            new DecompressionException("Decompression buffer has reached maximum size: " + MAX));

            assertClosedWith(CloseCodes.MESSAGE_TOO_BIG);
            assertThat(oversized).hasValue(1);
        }

        @Test
        void corruptCompressedDataClosesWithInvalidPayload() {
            channel.pipeline().fireExceptionCaught(new DecompressionException("invalid stored block lengths"));

            assertClosedWith(CloseCodes.INVALID_PAYLOAD);
            assertThat(oversized).hasValue(0);
        }

        @Test
        void aCodecExceptionWithoutAMessageClosesWithInvalidPayload() {
            channel.pipeline().fireExceptionCaught(new DecoderException());

            assertClosedWith(CloseCodes.INVALID_PAYLOAD);
            assertThat(oversized).hasValue(0);
        }

        @Test
        void aCorruptedFrameExceptionIsPassedOnUnanswered() {
            CorruptedWebSocketFrameException corrupted =
                    new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR, "bad frame");

            channel.pipeline().fireExceptionCaught(corrupted);

            assertNotAnswered();
            assertThatThrownBy(channel::checkException).isSameAs(corrupted);
            assertThat(oversized).hasValue(0);
        }

        @Test
        void otherExceptionsArePassedOnUnanswered() {
            IOException reset = new IOException("Connection reset by peer");

            channel.pipeline().fireExceptionCaught(reset);

            assertNotAnswered();
            assertThatThrownBy(channel::checkException).isSameAs(reset);
        }
    }

    @Nested
    class Aggregation {
        @Test
        void fragmentsAreReassembledIntoOneFinalFrame() {
            List<WebSocketFrame> fragments = List.of(
                    new TextWebSocketFrame(false, 0, bytes("hel")),
                    new ContinuationWebSocketFrame(false, 0, bytes("lo ")),
                    new ContinuationWebSocketFrame(true, 0, bytes("you")));

            fragments.forEach(channel::writeInbound);

            assertPassedOn(TextWebSocketFrame.class, true, "hello you");
            assertThat(fragments).allSatisfy(f -> assertThat(f.refCnt()).isZero());
            assertNotAnswered();
        }

        @Test
        void aMessageOfExactlyTheLimitPasses() {
            channel.writeInbound(new BinaryWebSocketFrame(false, 0, bytes("12345")));
            channel.writeInbound(new ContinuationWebSocketFrame(true, 0, bytes("67890")));

            assertPassedOn(BinaryWebSocketFrame.class, true, "1234567890");
            assertThat(oversized).hasValue(0);
            assertNotAnswered();
        }

        @Test
        void aFragmentedMessageOverTheLimitClosesWithMessageTooBigAndCountsIt() {
            TextWebSocketFrame first = new TextWebSocketFrame(false, 0, bytes("12345"));
            ContinuationWebSocketFrame second = new ContinuationWebSocketFrame(false, 0, bytes("678901"));

            channel.writeInbound(first);
            channel.writeInbound(second);

            assertClosedWith(CloseCodes.MESSAGE_TOO_BIG);
            assertThat(oversized).hasValue(1);
            assertThat(first.refCnt()).isZero();
            assertThat(second.refCnt()).isZero();
        }

        @Test
        void aSingleWholeFrameIsLeftToTheDecodersOwnLimit() {
            // Whole frames are not aggregated: the WebSocket decoder's maxFramePayloadLength bounds them.
            TextWebSocketFrame frame = new TextWebSocketFrame(true, 0, bytes("more than ten bytes"));

            channel.writeInbound(frame);

            Object in = channel.readInbound();
            try {
                assertThat(in).isSameAs(frame);
            } finally {
                ReferenceCountUtil.release(in);
            }
            assertThat(oversized).hasValue(0);
            assertNotAnswered();
        }

        @Test
        void controlFramesBetweenFragmentsPassAtOnce() {
            channel.writeInbound(new TextWebSocketFrame(false, 0, bytes("ab")));
            PingWebSocketFrame ping = new PingWebSocketFrame(bytes("p"));

            channel.writeInbound(ping);

            Object in = channel.readInbound();
            try {
                assertThat(in).isSameAs(ping);
            } finally {
                ReferenceCountUtil.release(in);
            }
            channel.writeInbound(new ContinuationWebSocketFrame(true, 0, bytes("cd")));
            assertPassedOn(TextWebSocketFrame.class, true, "abcd");
        }

        @Test
        void aCharacterSplitAcrossFragmentsIsValidUtf8() {
            byte[] euro = "€".getBytes(UTF_8); // three bytes
            channel.writeInbound(new TextWebSocketFrame(false, 0, bytes((byte) 'a', euro[0])));
            channel.writeInbound(new ContinuationWebSocketFrame(true, 0, bytes(Arrays.copyOfRange(euro, 1, 3))));

            assertPassedOn(TextWebSocketFrame.class, true, "a€");
            assertNotAnswered();
        }

        @Test
        void invalidUtf8AcrossFragmentsClosesWithInvalidPayload() {
            TextWebSocketFrame first = new TextWebSocketFrame(false, 0, bytes((byte) 'a', (byte) 0xE2));
            ContinuationWebSocketFrame bad = new ContinuationWebSocketFrame(true, 0, bytes((byte) 0x28, (byte) 0xA1));
            channel.writeInbound(first);

            assertThatThrownBy(() -> channel.writeInbound(bad)).isInstanceOf(CorruptedWebSocketFrameException.class);

            assertClosedWith(CloseCodes.INVALID_PAYLOAD);
            assertThat(bad.refCnt()).isZero();
            assertThat(first.refCnt()).as("the partial message is discarded").isZero();
            assertThatThrownBy(channel::checkException)
                    .as("the aggregator reports the cut-off message")
                    .isInstanceOf(PrematureChannelClosureException.class);
            assertThat(oversized).hasValue(0);
        }
    }

    @Nested
    class Installation {
        @Test
        void installAddsTheGuardsInOrder() {
            EmbeddedChannel own = new EmbeddedChannel();
            try {
                FrameGuards.install(Connection.from(own), MAX, oversized::incrementAndGet);

                assertThat(own.pipeline().names())
                        .containsSubsequence(
                                PipelineNames.RESERVED_BITS_GUARD, PipelineNames.UTF8_GUARD, PipelineNames.AGGREGATOR);
                assertThat(own.pipeline().get(PipelineNames.RESERVED_BITS_GUARD))
                        .isInstanceOf(ReservedBitsGuard.class);
                assertThat(own.pipeline().get(PipelineNames.UTF8_GUARD)).isInstanceOf(Utf8FrameValidator.class);
                assertThat(own.pipeline().get(PipelineNames.AGGREGATOR)).isInstanceOf(BoundedAggregator.class);
            } finally {
                own.finishAndReleaseAll();
            }
        }

        @Test
        void closeWithWritesTheCloseFrameThenClosesTheConnection() {
            FrameGuards.closeWith(channel.pipeline().firstContext(), CloseCodes.GOING_AWAY, "bye");

            Object out = channel.readOutbound();
            try {
                assertThat(out).isInstanceOf(CloseWebSocketFrame.class);
                assertThat(((CloseWebSocketFrame) out).statusCode()).isEqualTo(CloseCodes.GOING_AWAY);
                assertThat(((CloseWebSocketFrame) out).reasonText()).isEqualTo("bye");
            } finally {
                ReferenceCountUtil.release(out);
            }
            assertThat(channel.isOpen()).isFalse();
        }
    }
}
