package io.reactivehub.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubException;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.server.HubMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a client is told of a failure: its code, and never an exception's own text when that may leak. */
class FailureTest {
    private final Hub hub = Hub.create(new HubOptions(QueueLimits.DEFAULT));
    private final HubMetrics metrics = new HubMetrics(hub, () -> 0);

    @AfterEach
    void dispose() {
        metrics.close();
        hub.dispose();
    }

    @Test
    void theHubsOwnFailureIsAGenericInternalError() {
        Failure failure = Failure.of(
                new IllegalStateException("pool exhausted at 10.1.2.3:6379 (io.lettuce...)"), "test", metrics);
        assertThat(failure.code()).isEqualTo(ErrorCode.INTERNAL);
        assertThat(failure.message()).isEqualTo("internal error");
        assertThat(failure.httpStatus()).isEqualTo(HttpResponseStatus.INTERNAL_SERVER_ERROR);
    }

    @Test
    void anUnreachableBrokerSaysNothingWasDoneWithoutItsAddress() {
        Failure failure = Failure.of(
                new HubException(ErrorCode.UNAVAILABLE, "Redis is unavailable: Connection refused: /10.1.2.3:6379"),
                "test",
                metrics);
        assertThat(failure.code()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(failure.message()).isEqualTo("Redis unavailable: nothing was done; retry");
        assertThat(metrics.scrape()).contains("hub_broker_unavailable_total 1.0");
    }

    @Test
    void theClientsOwnMistakesKeepTheirMessage() {
        Failure failure = Failure.of(new HubException(ErrorCode.LIMIT_EXCEEDED, "at most 3 channels"), "test", metrics);
        assertThat(failure.message()).isEqualTo("at most 3 channels");
    }
}
