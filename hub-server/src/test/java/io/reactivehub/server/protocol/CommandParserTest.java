package io.reactivehub.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivehub.core.ChannelName;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.StreamPosition;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The hub protocol's commands as the parser reads them: every field checked, every refusal coded. */
class CommandParserTest {

    private static Command parse(String json) {
        ByteBuf text = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            return CommandParser.parse(text);
        } finally {
            text.release();
        }
    }

    private static CommandException refusal(String json) {
        return catchThrowableOfType(CommandException.class, () -> parse(json));
    }

    @Nested
    class ValidCommands {
        @Test
        void subscribeWithRecoverAndJoinLeave() {
            Command c = parse("{\"id\":1,\"op\":\"subscribe\",\"channel\":\"room\","
                    + "\"recover\":{\"offset\":7,\"epoch\":\"e1\"},\"joinLeave\":true}");
            assertThat(c)
                    .isEqualTo(new Command.Subscribe(
                            IntNode.valueOf(1), ChannelName.of("room"), new StreamPosition(7, "e1"), true));
        }

        @Test
        void subscribeWithoutOptionsHasNoRecoveryAndNoJoinLeave() {
            Command.Subscribe c = (Command.Subscribe) parse("{\"op\":\"subscribe\",\"channel\":\"room\"}");
            assertThat(c.recover()).isNull();
            assertThat(c.joinLeave()).isFalse();
            assertThat(c.id()).isEqualTo(NullNode.getInstance());
        }

        @Test
        void anIdOfAnyJsonTypeIsKeptAsSent() {
            assertThat(parse("{\"id\":\"abc\",\"op\":\"ping\"}").id()).isEqualTo(TextNode.valueOf("abc"));
        }

        @Test
        void publishKeepsTheDataAsCompactJson() {
            Command.Publish c =
                    (Command.Publish) parse("{\"op\":\"publish\",\"channel\":\"c\",\"data\":{ \"a\" : [1, 2] }}");
            assertThat(new String(c.payload(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":[1,2]}");
        }

        @Test
        void historyDefaultsToTheLatestHundred() {
            assertThat(parse("{\"op\":\"history\",\"channel\":\"c\"}"))
                    .isEqualTo(new Command.History(NullNode.getInstance(), ChannelName.of("c"), 100, null));
            assertThat(((Command.History) parse("{\"op\":\"history\",\"channel\":\"c\",\"limit\":5,\"since\":9}"))
                            .since())
                    .isEqualTo(9L);
        }

        @Test
        void unsubscribePresencePingAndRefresh() {
            assertThat(parse("{\"op\":\"unsubscribe\",\"channel\":\"c\"}")).isInstanceOf(Command.Unsubscribe.class);
            assertThat(parse("{\"op\":\"presence\",\"channel\":\"c\"}")).isInstanceOf(Command.Presence.class);
            assertThat(parse("{\"op\":\"ping\"}")).isInstanceOf(Command.Ping.class);
            assertThat(((Command.Refresh) parse("{\"op\":\"refresh\",\"token\":\"t\"}")).token())
                    .isEqualTo(TextNode.valueOf("t"));
        }
    }

    @Nested
    class Refusals {
        @Test
        void malformedJsonIs101WithoutAnId() {
            CommandException e = refusal("{\"id\":1,");
            assertThat(e.errorCode()).isEqualTo(ErrorCode.MALFORMED);
            assertThat(e.id()).isEqualTo(NullNode.getInstance());
        }

        @Test
        void anythingAfterTheObjectIs101() {
            assertThat(refusal("{\"op\":\"ping\"} trailing").errorCode()).isEqualTo(ErrorCode.MALFORMED);
            assertThat(refusal("{\"op\":\"ping\"}{\"op\":\"ping\"}").errorCode())
                    .isEqualTo(ErrorCode.MALFORMED);
            assertThat(refusal("{\"op\":\"ping\"} 1").errorCode()).isEqualTo(ErrorCode.MALFORMED);
            assertThat(parse("{\"op\":\"ping\"} \n")).isInstanceOf(Command.Ping.class);
        }

        @Test
        void aJsonValueThatIsNotAnObjectIs101() {
            assertThat(refusal("[1,2]").errorCode()).isEqualTo(ErrorCode.MALFORMED);
        }

        @Test
        void refusalsCarryTheCommandsId() {
            CommandException e = refusal("{\"id\":42,\"op\":\"dance\"}");
            assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN_OP);
            assertThat(e.id()).isEqualTo(IntNode.valueOf(42));
        }

        @Test
        void missingFieldsAre103() {
            assertThat(refusal("{\"id\":1}").errorCode()).isEqualTo(ErrorCode.MISSING_FIELD);
            assertThat(refusal("{\"op\":\"subscribe\"}").errorCode()).isEqualTo(ErrorCode.MISSING_FIELD);
            assertThat(refusal("{\"op\":\"publish\",\"channel\":\"c\"}").errorCode())
                    .isEqualTo(ErrorCode.MISSING_FIELD);
        }

        @Test
        void fieldsOfTheWrongTypeAre104() {
            assertThat(refusal("{\"op\":7}").errorCode()).isEqualTo(ErrorCode.INVALID_FIELD);
            assertThat(refusal("{\"op\":\"subscribe\",\"channel\":\"c\",\"joinLeave\":\"yes\"}")
                            .errorCode())
                    .isEqualTo(ErrorCode.INVALID_FIELD);
            assertThat(refusal("{\"op\":\"subscribe\",\"channel\":\"c\",\"recover\":{\"offset\":-1,\"epoch\":\"e\"}}")
                            .errorCode())
                    .isEqualTo(ErrorCode.INVALID_FIELD);
            assertThat(refusal("{\"op\":\"subscribe\",\"channel\":\"c\",\"recover\":{\"offset\":1}}")
                            .errorCode())
                    .isEqualTo(ErrorCode.INVALID_FIELD);
            assertThat(refusal("{\"op\":\"history\",\"channel\":\"c\",\"limit\":1.5}")
                            .errorCode())
                    .isEqualTo(ErrorCode.INVALID_FIELD);
        }

        @Test
        void badChannelsAre105() {
            assertThat(refusal("{\"op\":\"subscribe\",\"channel\":\"no spaces\"}")
                            .errorCode())
                    .isEqualTo(ErrorCode.INVALID_CHANNEL);
            assertThat(refusal("{\"op\":\"subscribe\",\"channel\":5}").errorCode())
                    .isEqualTo(ErrorCode.INVALID_CHANNEL);
        }
    }
}
