package io.reactivehub.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivehub.server.session.LogBudget.Verdict;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** At most N lines per window, then one note, then silence until the window ends. */
class LogBudgetTest {
    private final AtomicLong now = new AtomicLong();
    private final LogBudget budget = new LogBudget(3, Duration.ofMinutes(1), now::get);

    @Test
    void linesOverTheBudgetAreReplacedByOneNoteThenNothing() {
        assertThat(budget.take()).isEqualTo(Verdict.LOG);
        assertThat(budget.take()).isEqualTo(Verdict.LOG);
        assertThat(budget.take()).isEqualTo(Verdict.LOG);
        assertThat(budget.take()).isEqualTo(Verdict.SUPPRESS_NOTICE);
        assertThat(budget.take()).isEqualTo(Verdict.SUPPRESSED);
        assertThat(budget.take()).isEqualTo(Verdict.SUPPRESSED);
    }

    @Test
    void theNextWindowLogsAgain() {
        for (int i = 0; i < 5; i++) {
            budget.take();
        }
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        assertThat(budget.take()).isEqualTo(Verdict.SUPPRESSED);
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(budget.take()).isEqualTo(Verdict.LOG);
    }
}
