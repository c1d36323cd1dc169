package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Client text on one log line, short. */
class LogTextTest {

    @Test
    void plainTextIsUnchanged() {
        String text = "unknown op 'nope'";
        assertThat(LogText.escape(text)).isSameAs(text);
    }

    @Test
    void lineBreaksCannotForgeALogLine() {
        assertThat(LogText.escape("x\n12:00:00.000 ERROR [main] HubServer - forged\r"))
                .isEqualTo("x\\n12:00:00.000 ERROR [main] HubServer - forged\\r")
                .doesNotContain("\n", "\r");
    }

    @Test
    void terminalEscapesAndOtherControlCharactersAreWrittenAsEscapes() {
        assertThat(LogText.escape("a\u001b[31mred\u0000\u007f\u0085\u2028\t\\"))
                .isEqualTo("a\\u001b[31mred\\u0000\\u007f\\u0085\\u2028\\t\\\\");
    }

    @Test
    void longTextIsCutWithTheCountOfWhatWasLeftOut() {
        String escaped = LogText.escape("a".repeat(65536));
        assertThat(escaped).isEqualTo("a".repeat(200) + "…(65336 more)");
        assertThat(LogText.escape("ab\ncd", 3)).isEqualTo("ab\\n…(2 more)");
    }

    @Test
    void nullIsWrittenAsNull() {
        assertThat(LogText.escape(null)).isEqualTo("null");
    }

    @Test
    void userInfoOfUrisIsMasked() {
        assertThat(LogText.maskUserInfo("redis://:s3cret@10.0.0.1:6379,rediss://ann:pw@h2:6380/0"))
                .isEqualTo("redis://***@10.0.0.1:6379,rediss://***@h2:6380/0");
        assertThat(LogText.maskUserInfo("redis://10.0.0.1:6379")).isEqualTo("redis://10.0.0.1:6379");
        assertThat(LogText.maskUserInfo("Unable to connect to redis://u:p@host:1: refused"))
                .isEqualTo("Unable to connect to redis://***@host:1: refused");
    }
}
