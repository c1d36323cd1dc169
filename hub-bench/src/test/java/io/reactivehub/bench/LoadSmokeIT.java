package io.reactivehub.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivehub.core.Hub;
import io.reactivehub.server.HubServer;
import io.reactivehub.server.ServerConfig;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A seconds-long run of the generator against a real hub: it connects, measures and loses nothing. */
class LoadSmokeIT {

    @Test
    void maxRateRunAgainstTheHubDeliversEverythingItMeasures() throws Exception {
        Hub hub = Hub.create();
        try (HubServer server = HubServer.start(hub, ServerConfig.DEFAULT.withHost("127.0.0.1").withPort(0))) {
            LoadRun.Options options = new LoadRun.Options(URI.create("ws://127.0.0.1:" + server.port() + "/ws/smoke"),
                    20, 2, 0, 64, Duration.ofSeconds(1), Duration.ofSeconds(2), 16, 10, 1,
                    (int) ProcessHandle.current().pid(), "smoke");
            LoadResult result = new LoadRun(options).execute();
            assertThat(result.connectFailures()).isZero();
            assertThat(result.delivered()).isPositive();
            assertThat(result.delivered()).isEqualTo(result.expectedDeliveries());
            assertThat(result.lost()).isZero();
            assertThat(result.gaps()).isZero();
            assertThat(result.reordered()).isZero();
            assertThat(result.latency().getTotalCount()).isEqualTo(result.delivered());
            assertThat(LoadResult.table(java.util.List.of(result))).contains("smoke");
        } finally {
            hub.dispose();
        }
    }

    @Test
    void fixedRateRunSendsAtTheRequestedRate() throws Exception {
        Hub hub = Hub.create();
        try (HubServer server = HubServer.start(hub, ServerConfig.DEFAULT.withHost("127.0.0.1").withPort(0))) {
            LoadRun.Options options = new LoadRun.Options(URI.create("ws://127.0.0.1:" + server.port() + "/ws/rate"),
                    10, 1, 500, 32, Duration.ofSeconds(1), Duration.ofSeconds(2), 16, 10, 1, 0, "rate");
            LoadResult result = new LoadRun(options).execute();
            // 500 msg/s for 2 s, give or take the tick at each window edge.
            assertThat(result.sent()).isBetween(990L, 1010L);
            assertThat(result.lost()).isZero();
        } finally {
            hub.dispose();
        }
    }
}
