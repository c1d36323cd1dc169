package io.reactivehub.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChannelNameTest {

    @Test
    void acceptsLettersDigitsAndSafePunctuation() {
        assertThat(ChannelName.of("chat.room-1_a:b@c=d~e").value()).isEqualTo("chat.room-1_a:b@c=d~e");
        assertThat(ChannelName.of("x".repeat(ChannelName.MAX_LENGTH)).value()).hasSize(ChannelName.MAX_LENGTH);
    }

    @Test
    void aNameWithOneHashIsAPersonalChannelOfTheUserAfterIt() {
        assertThat(ChannelName.of("notifications#alice").owner()).isEqualTo("alice");
        assertThat(ChannelName.of("#bob").owner()).isEqualTo("bob");
        assertThat(ChannelName.of("chat:room").owner()).isNull();
        assertThat(ChannelName.personal("inbox", "carol").value()).isEqualTo("inbox#carol");
        for (String bad : new String[] {"a#", "a#b#c", "#"}) {
            assertThat(ChannelName.isValid(bad)).as(bad).isFalse();
        }
    }

    @Test
    void rejectsEmptyNamesWithInvalidChannelCode() {
        assertThatThrownBy(() -> ChannelName.of(""))
                .isInstanceOfSatisfying(
                        HubException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_CHANNEL))
                .hasMessageContaining("empty");
    }

    @Test
    void rejectsNamesOverTheMaximumLength() {
        assertThatThrownBy(() -> ChannelName.of("x".repeat(ChannelName.MAX_LENGTH + 1)))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("longer than");
    }

    @Test
    void rejectsCharactersOutsideTheSetAndSaysWhere() {
        for (String bad : new String[] {"a b", "a/b", "a\"b", "é", "a\\b", "a\nb", "a*"}) {
            assertThat(ChannelName.isValid(bad)).as(bad).isFalse();
        }
        assertThatThrownBy(() -> ChannelName.of("ab/c")).hasMessageContaining("index 2");
    }
}
