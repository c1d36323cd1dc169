package io.reactivehub.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ChannelQueryTest {
    @Test
    void globMatchesStarsAndQuestionMarks() {
        assertThat(ChannelQuery.glob("chat:*", "chat:1")).isTrue();
        assertThat(ChannelQuery.glob("chat:*", "news")).isFalse();
        assertThat(ChannelQuery.glob("*:?", "room:7")).isTrue();
        assertThat(ChannelQuery.glob("*:?", "room:77")).isFalse();
        assertThat(ChannelQuery.glob("a*b*c", "a" + "b".repeat(200) + "x")).isFalse();
    }

    @Test
    void limitsAreChecked() {
        assertThatThrownBy(() -> new ChannelQuery(null, null, 0)).isInstanceOf(HubException.class);
        assertThatThrownBy(() -> new ChannelQuery(null, null, ChannelQuery.MAX_LIMIT + 1))
                .isInstanceOf(HubException.class);
        assertThatThrownBy(() -> new ChannelQuery("x".repeat(ChannelQuery.MAX_TEXT + 1), null, 1))
                .isInstanceOf(HubException.class);
    }

    @Test
    void pagesOfSeveralNodesMergeWithoutGapsOrDuplicates() {
        Map<String, Integer> a = new TreeMap<>();
        Map<String, Integer> b = new TreeMap<>();
        for (int i = 0; i < 50; i++) {
            (i % 3 == 0 ? a : b).put(String.format("c%02d", i), 1);
            if (i % 5 == 0) {
                a.put(String.format("c%02d", i), 1); // on both nodes
                b.put(String.format("c%02d", i), 1);
            }
        }
        List<ChannelPage.Entry> all = new ArrayList<>();
        String cursor = null;
        do {
            ChannelQuery q = new ChannelQuery(null, cursor, 7);
            ChannelPage page = ChannelPage.merge(List.of(q.page(a), q.page(b)), 7, true);
            assertThat(page.channels()).hasSizeLessThanOrEqualTo(7);
            all.addAll(page.channels());
            cursor = page.cursor();
        } while (cursor != null);
        assertThat(all)
                .extracting(ChannelPage.Entry::channel)
                .doesNotHaveDuplicates()
                .hasSize(50)
                .isSorted();
        assertThat(all)
                .filteredOn(e -> e.channel().equals("c10"))
                .singleElement()
                .extracting(ChannelPage.Entry::subscribers)
                .isEqualTo(2L);
    }
}
