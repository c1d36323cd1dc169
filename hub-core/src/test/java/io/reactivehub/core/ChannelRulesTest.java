package io.reactivehub.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChannelRulesTest {
    @Test
    void firstMatchingPatternWinsAndUnmatchedChannelsGetTheDefaults() {
        ChannelRules rules = ChannelRules.parse(List.of(
                "chat:vip=history:1000,ttl:1h", "chat:*=history:100,ttl:10m,presence,join-leave", "news=presence"));
        assertThat(rules.optionsFor(ChannelName.of("chat:vip")))
                .isEqualTo(new ChannelOptions(1000, Duration.ofHours(1), false, false));
        assertThat(rules.optionsFor(ChannelName.of("chat:1")))
                .isEqualTo(new ChannelOptions(100, Duration.ofMinutes(10), true, true));
        assertThat(rules.optionsFor(ChannelName.of("news")).presence()).isTrue();
        assertThat(rules.optionsFor(ChannelName.of("newsroom"))).isEqualTo(ChannelOptions.DEFAULT);
        assertThat(ChannelRules.parse(List.of("*=history:5"))
                        .optionsFor(ChannelName.of("x"))
                        .historySize())
                .isEqualTo(5);
    }

    @Test
    void badSpecificationsSayWhatIsWrong() {
        assertThatThrownBy(() -> ChannelRules.parse(List.of("chat:*"))).hasMessageContaining("PATTERN=OPTION");
        assertThatThrownBy(() -> ChannelRules.parse(List.of("chat:*=history:x")))
                .hasMessageContaining("bad number");
        assertThatThrownBy(() -> ChannelRules.parse(List.of("chat:*=colour")))
                .hasMessageContaining("unknown option 'colour'");
        assertThatThrownBy(() -> ChannelRules.parse(List.of("chat:*=ttl:0s"))).hasMessageContaining("positive");
        assertThatThrownBy(() -> ChannelRules.parse(List.of("bad name=presence")))
                .hasMessageContaining("bad pattern");
        assertThatThrownBy(() -> ChannelRules.parse(List.of("a=ttl:5x"))).hasMessageContaining("bad duration");
    }

    @Test
    void durationsTakeUnitsOrIso8601() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse(" 90S ")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(Durations.parse("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(Durations.parse("PT1M")).isEqualTo(Duration.ofMinutes(1));
        assertThatThrownBy(() -> Durations.parse("soon")).hasMessageContaining("bad duration 'soon'");
    }
}
