package io.reactivehub.server.transport;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.reactivehub.server.CloseCodes;
import io.reactivehub.server.transport.FrameGuards.BoundedAggregator;
import io.reactivehub.server.transport.FrameGuards.ReservedBitsGuard;
import io.reactivehub.server.transport.FrameGuards.Utf8Guard;
import io.reactivehub.server.transport.FrameGuards.WireRules;
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
 * ReservedBitsGuard, Utf8Guard (Netty's Utf8FrameValidator), BoundedAggregator. Frames are written inbound as
 * Netty's WebSocket decoder would pass them on; a close frame the guards answer with is read
 * outbound. Exceptions are fired from the head of the pipeline, where the extension decoder (the
 * inflater) sits in a real connection.
 */
class FrameGuardsTest {
    private static final int MAX = 10;

    private final AtomicInteger oversized = new AtomicInteger();
    private final EmbeddedChannel channel = new EmbeddedChannel(
            new ReservedBitsGuard(oversized::incrementAndGet),
            new Utf8Guard(),
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
        channel.runPendingTasks(); // the close frame is written by a task of its own
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

        @Test
        void framesAfterTheViolationAreDropped() {
            TextWebSocketFrame bad = new TextWebSocketFrame(true, 4, bytes("hello"));
            TextWebSocketFrame after = new TextWebSocketFrame("after");

            channel.writeInbound(bad, after);

            assertClosedWith(CloseCodes.PROTOCOL_ERROR);
            assertThat(after.refCnt()).isZero();
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
            assertThatCode(channel::checkException)
                    .as("a cut-off message is the peer's doing: released quietly, no exception to log")
                    .doesNotThrowAnyException();
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
        void aWholeFrameOfExactlyTheLimitPasses() {
            TextWebSocketFrame frame = new TextWebSocketFrame(true, 0, bytes("1234567890"));

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
        void aWholeFrameOverTheLimitClosesWithMessageTooBig() {
            // Only an inflated frame gets here over the limit: the decoder bounds raw frames.
            assertOverTheLimitAtOnce(new TextWebSocketFrame(true, 0, bytes("more than ten bytes")));
        }

        @Test
        void aFirstFragmentOverTheLimitClosesWithMessageTooBigAtOnce() {
            assertOverTheLimitAtOnce(new BinaryWebSocketFrame(false, 0, bytes("more than ten bytes")));
        }

        private void assertOverTheLimitAtOnce(WebSocketFrame frame) {
            channel.writeInbound(frame);

            assertClosedWith(CloseCodes.MESSAGE_TOO_BIG);
            assertThat(oversized).hasValue(1);
            assertThat(frame.refCnt()).isZero();
        }

        @Test
        void aMessageCutShortByTheCloseIsDroppedQuietly() {
            TextWebSocketFrame first = new TextWebSocketFrame(false, 0, bytes("12345"));
            channel.writeInbound(first);

            channel.close();

            channel.checkException(); // no PrematureChannelClosureException
            assertThat(first.refCnt()).isZero();
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

            channel.writeInbound(bad);

            assertClosedWith(CloseCodes.INVALID_PAYLOAD);
            assertThat(bad.refCnt()).isZero();
            assertThat(first.refCnt()).as("the partial message is discarded").isZero();
            assertThatCode(channel::checkException)
                    .as("a cut-off message is the peer's doing: released quietly, no exception to log")
                    .doesNotThrowAnyException();
            assertThat(oversized).hasValue(0);
        }
    }

    /** The wire rules alone, as they sit right after the decoder, without and with permessage-deflate. */
    @Nested
    class WireRulesGuard {
        private EmbeddedChannel rules(boolean deflate) {
            return new EmbeddedChannel(new WireRules(deflate));
        }

        private static CloseWebSocketFrame close(int code, byte... reason) {
            ByteBuf body = Unpooled.buffer(2 + reason.length).writeShort(code).writeBytes(reason);
            return new CloseWebSocketFrame(true, 0, body);
        }

        /** The frame was refused with a close frame carrying {@code code}, released, and the channel closed. */
        private void assertRefused(EmbeddedChannel ch, WebSocketFrame frame, int code) {
            try {
                ch.writeInbound(frame);

                assertThat(frame.refCnt()).isZero();
                assertThat(ch.<Object>readInbound()).isNull();
                Object out = ch.readOutbound();
                try {
                    assertThat(out).isInstanceOf(CloseWebSocketFrame.class);
                    assertThat(((CloseWebSocketFrame) out).statusCode()).isEqualTo(code);
                } finally {
                    ReferenceCountUtil.release(out);
                }
                assertThat(ch.isOpen()).isFalse();
            } finally {
                ch.finishAndReleaseAll();
            }
        }

        private void assertPassed(EmbeddedChannel ch, WebSocketFrame frame) {
            try {
                ch.writeInbound(frame);

                Object in = ch.readInbound();
                try {
                    assertThat(in).isSameAs(frame);
                } finally {
                    ReferenceCountUtil.release(in);
                }
                assertThat(ch.<Object>readOutbound()).isNull();
                assertThat(ch.isOpen()).isTrue();
            } finally {
                ch.finishAndReleaseAll();
            }
        }

        @ParameterizedTest(name = "code {0}")
        @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
        void aCloseCodeThatMayNotBeSentIsAnsweredWith1002(int code) {
            assertRefused(rules(false), close(code), CloseCodes.PROTOCOL_ERROR);
        }

        @ParameterizedTest(name = "code {0}")
        @ValueSource(ints = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999})
        void aValidCloseCodePassesOnToBeEchoed(int code) {
            assertPassed(rules(false), close(code, "bye".getBytes(UTF_8)));
        }

        @Test
        void aCloseWithoutBodyPasses() {
            assertPassed(rules(false), new CloseWebSocketFrame(true, 0, Unpooled.buffer(0)));
        }

        @Test
        void aOneByteCloseBodyIsAnsweredWith1002() {
            assertRefused(rules(false), new CloseWebSocketFrame(true, 0, bytes((byte) 3)), CloseCodes.PROTOCOL_ERROR);
        }

        @Test
        void aCloseReasonThatIsNotUtf8IsAnsweredWith1007() {
            assertRefused(rules(false), close(1000, (byte) 0xED, (byte) 0xA0, (byte) 0x80), CloseCodes.INVALID_PAYLOAD);
        }

        @Test
        void withDeflateRsv1OnAMessageStartPasses() {
            assertPassed(rules(true), new TextWebSocketFrame(false, 4, bytes("x")));
        }

        @Test
        void withoutDeflateRsv1OnAMessageStartIsAnsweredWith1002() {
            assertRefused(rules(false), new TextWebSocketFrame(false, 4, bytes("x")), CloseCodes.PROTOCOL_ERROR);
        }

        @Test
        void withDeflateRsv1OnAContinuationIsAnsweredWith1002() {
            assertRefused(rules(true), new ContinuationWebSocketFrame(true, 4, bytes("x")), CloseCodes.PROTOCOL_ERROR);
        }

        @ParameterizedTest(name = "rsv {0}")
        @ValueSource(ints = {1, 2, 3, 5, 6, 7})
        void withDeflateRsv2AndRsv3AreAnsweredWith1002(int rsv) {
            assertRefused(rules(true), new BinaryWebSocketFrame(true, rsv, bytes("x")), CloseCodes.PROTOCOL_ERROR);
        }

        @Test
        void withDeflateRsv1OnAControlFrameIsAnsweredWith1002() {
            assertRefused(rules(true), new PingWebSocketFrame(true, 4, bytes("p")), CloseCodes.PROTOCOL_ERROR);
            assertRefused(rules(true), new PongWebSocketFrame(true, 4, bytes("p")), CloseCodes.PROTOCOL_ERROR);
            assertRefused(
                    rules(true),
                    new CloseWebSocketFrame(true, 4, Unpooled.buffer(2).writeShort(1000)),
                    CloseCodes.PROTOCOL_ERROR);
        }

        @Test
        void aViolationTheDecoderReportsIsAnsweredInsteadOfPassedOn() {
            EmbeddedChannel ch = rules(false);
            try {
                ch.pipeline()
                        .fireExceptionCaught(new CorruptedWebSocketFrameException(
                                WebSocketCloseStatus.PROTOCOL_ERROR, "data frame using reserved opcode 5"));
                assertThat(ch.<Object>readOutbound())
                        .as("not before the tasks queued so far")
                        .isNull();

                ch.runPendingTasks();

                Object out = ch.readOutbound();
                try {
                    assertThat(out).isInstanceOf(CloseWebSocketFrame.class);
                    assertThat(((CloseWebSocketFrame) out).statusCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
                    assertThat(((CloseWebSocketFrame) out).reasonText()).contains("reserved opcode");
                } finally {
                    ReferenceCountUtil.release(out);
                }
                assertThat(ch.isOpen()).isFalse();
                assertThatCode(ch::checkException).doesNotThrowAnyException();
            } finally {
                ch.finishAndReleaseAll();
            }
        }

        @Test
        void framesArrivingWhileTheCloseFrameIsStillBeingWrittenAreDropped() {
            // A socket that does not take the close frame yet: the connection stays open meanwhile.
            ChannelOutboundHandlerAdapter stalledSocket = new ChannelOutboundHandlerAdapter() {
                @Override
                public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                    ReferenceCountUtil.release(msg);
                }
            };
            EmbeddedChannel ch = new EmbeddedChannel(stalledSocket, new WireRules(false));
            ch.writeInbound(close(5000));
            TextWebSocketFrame late = new TextWebSocketFrame("late");

            ch.writeInbound(late);

            assertThat(ch.isOpen()).isTrue();
            assertThat(late.refCnt()).isZero();
            assertThat(ch.<Object>readInbound()).isNull();
            ch.finishAndReleaseAll();
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
                assertThat(own.pipeline().get(PipelineNames.UTF8_GUARD)).isInstanceOf(Utf8Guard.class);
                assertThat(own.pipeline().get(PipelineNames.AGGREGATOR)).isInstanceOf(BoundedAggregator.class);
            } finally {
                own.finishAndReleaseAll();
            }
        }

        @Test
        void installSwapsTheDecoderAndPutsTheWireRulesAfterTheEncoder() {
            EmbeddedChannel own = new EmbeddedChannel();
            try {
                own.pipeline()
                        .addLast(PipelineNames.WEBSOCKET_ENCODER, new WebSocket13FrameEncoder(false))
                        .addLast(PipelineNames.WEBSOCKET_DECODER, new WebSocket13FrameDecoder(true, true, MAX));

                FrameGuards.install(Connection.from(own), MAX, oversized::incrementAndGet);

                assertThat(own.pipeline().get(PipelineNames.WEBSOCKET_DECODER)).isInstanceOf(HubFrameDecoder.class);
                assertThat(own.pipeline().names())
                        .containsSubsequence(
                                PipelineNames.WEBSOCKET_ENCODER,
                                PipelineNames.WEBSOCKET_DECODER,
                                PipelineNames.WIRE_RULES,
                                PipelineNames.RESERVED_BITS_GUARD);
            } finally {
                own.finishAndReleaseAll();
            }
        }

        @Test
        void closeWithWritesTheCloseFrameThenClosesTheConnectionInATaskOfItsOwn() {
            channel.eventLoop().execute(() -> channel.writeOutbound(new TextWebSocketFrame("queued before")));
            FrameGuards.closeWith(channel.pipeline().firstContext(), CloseCodes.GOING_AWAY, "bye");

            assertThat(channel.<Object>readOutbound())
                    .as("nothing before the tasks run")
                    .isNull();
            assertThat(channel.isOpen()).isTrue();
            channel.runPendingTasks();
            Object queued = channel.readOutbound();
            try {
                assertThat(queued).as("what the loop had queued goes first").isInstanceOf(TextWebSocketFrame.class);
            } finally {
                ReferenceCountUtil.release(queued);
            }
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
