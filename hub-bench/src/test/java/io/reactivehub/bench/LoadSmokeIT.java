package io.reactivehub.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivehub.core.Hub;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.redis.RedisBroker;
import io.reactivehub.core.testing.RedisProcess;
import io.reactivehub.server.HubServer;
import io.reactivehub.server.config.ServerConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A seconds-long run of the generator against a real hub: it connects, measures and loses nothing. */
class LoadSmokeIT {

    @Test
    void maxRateRunAgainstTheHubDeliversEverythingItMeasures() throws Exception {
        Hub hub = Hub.create();
        try (HubServer server =
                HubServer.start(hub, ServerConfig.DEFAULT.withHost("127.0.0.1").withPort(0))) {
            LoadOptions options = new LoadOptions(
                    URI.create("ws://127.0.0.1:" + server.port() + "/ws/smoke"),
                    20,
                    2,
                    0,
                    64,
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(2),
                    16,
                    10,
                    1,
                    (int) ProcessHandle.current().pid(),
                    "smoke",
                    false,
                    "smoke",
                    0,
                    false);
            LoadResult result = new LoadRun(options).execute();
            assertThat(result.connectFailures()).isZero();
            assertThat(result.delivered()).isPositive();
            assertThat(result.delivered()).isEqualTo(result.expectedDeliveries());
            assertThat(result.lost()).isZero();
            assertThat(result.gaps()).isZero();
            assertThat(result.reordered()).isZero();
            assertThat(result.latency().getTotalCount()).isEqualTo(result.delivered());
            assertThat(LoadResult.table(List.of(result))).contains("smoke");
        } finally {
            hub.dispose();
        }
    }

    @Test
    void crossNodeRunPublishesOnOneNodeAndMeasuresDeliveriesOnAnother() throws Exception {
        try (RedisProcess redis = RedisProcess.start()) {
            HubOptions options = new HubOptions(QueueLimits.DEFAULT)
                    .withBroker(
                            () -> RedisBroker.connect(RedisBroker.parseUris(redis.uri()), RedisBroker.Options.DEFAULT));
            Hub a = Hub.create(options);
            Hub b = Hub.create(options);
            try (HubServer nodeA = HubServer.start(
                            a, ServerConfig.DEFAULT.withHost("127.0.0.1").withPort(0));
                    HubServer nodeB = HubServer.start(
                            b, ServerConfig.DEFAULT.withHost("127.0.0.1").withPort(0))) {
                URI subscribeUrl = URI.create("ws://127.0.0.1:" + nodeB.port() + "/ws/cross");
                URI publishUrl = URI.create("ws://127.0.0.1:" + nodeA.port() + "/ws/cross");
                LoadResult result = new LoadRun(new LoadOptions(
                                subscribeUrl,
                                10,
                                1,
                                200,
                                64,
                                Duration.ofSeconds(1),
                                Duration.ofSeconds(2),
                                16,
                                10,
                                1,
                                0,
                                "cross-node",
                                false,
                                "cross",
                                0,
                                false,
                                publishUrl))
                        .execute();
                assertThat(result.connectFailures()).isZero();
                assertThat(result.delivered()).isPositive().isEqualTo(result.expectedDeliveries());
                assertThat(result.gaps()).isZero();
                assertThat(result.reordered()).isZero();
            } finally {
                a.dispose();
                b.dispose();
            }
        }
    }

    @Test
    void fixedRateRunSendsAtTheRequestedRate() throws Exception {
        Hub hub = Hub.create();
        try (HubServer server =
                HubServer.start(hub, ServerConfig.DEFAULT.withHost("127.0.0.1").withPort(0))) {
            LoadOptions options = new LoadOptions(
                    URI.create("ws://127.0.0.1:" + server.port() + "/ws/rate"),
                    10,
                    1,
                    500,
                    32,
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(2),
                    16,
                    10,
                    1,
                    0,
                    "rate",
                    false,
                    "rate",
                    0,
                    false);
            LoadResult result = new LoadRun(options).execute();
            // 500 msg/s for 2 s, give or take the tick at each window edge.
            assertThat(result.sent()).isBetween(990L, 1010L);
            assertThat(result.lost()).isZero();
        } finally {
            hub.dispose();
        }
    }

    @Test
    void hubProtocolRunMeasuresPushesToo() throws Exception {
        Hub hub = Hub.create();
        try (HubServer server =
                HubServer.start(hub, ServerConfig.DEFAULT.withHost("127.0.0.1").withPort(0))) {
            LoadOptions options = new LoadOptions(
                    URI.create("ws://127.0.0.1:" + server.port() + "/hub"),
                    10,
                    1,
                    0,
                    48,
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(2),
                    8,
                    10,
                    1,
                    0,
                    "hub",
                    true,
                    "smoke",
                    0,
                    true);
            LoadResult result = new LoadRun(options).execute();
            assertThat(result.delivered()).isPositive().isEqualTo(result.expectedDeliveries());
            assertThat(result.gaps()).isZero();
        } finally {
            hub.dispose();
        }
    }

    @Test
    void churnAndIdleRunsReportWhatTheyMeasure(@TempDir Path dir) throws Exception {
        Hub hub = Hub.create();
        try (HubServer server =
                HubServer.start(hub, ServerConfig.DEFAULT.withHost("127.0.0.1").withPort(0))) {
            URI url = URI.create("ws://127.0.0.1:" + server.port() + "/ws/churn");
            LoadResult churn = new LoadRun(new LoadOptions(
                            url,
                            10,
                            1,
                            200,
                            32,
                            Duration.ofSeconds(1),
                            Duration.ofSeconds(2),
                            8,
                            10,
                            1,
                            0,
                            "churn",
                            false,
                            "churn",
                            20,
                            false))
                    .execute();
            assertThat(churn.lost()).isZero();
            assertThat(churn.disconnects()).isZero();
            LoadResult idle = new LoadRun(new LoadOptions(
                            url,
                            50,
                            0,
                            0,
                            32,
                            Duration.ofSeconds(0),
                            Duration.ofSeconds(1),
                            8,
                            10,
                            1,
                            (int) ProcessHandle.current().pid(),
                            "idle",
                            false,
                            "idle",
                            0,
                            false))
                    .execute();
            assertThat(idle.connections()).isEqualTo(50);
            assertThat(idle.serverRssBytes()).isPositive();
            Path png = dir.resolve("chart.png");
            LoadChart.write(List.of(churn, idle), png);
            assertThat(Files.size(png)).isPositive();
        } finally {
            hub.dispose();
        }
    }

    @Test
    void deflateRunInflatesWhatArrivesCompressedAndCountsFewerBytes() throws Exception {
        Hub hub = Hub.create();
        try (HubServer server =
                HubServer.start(hub, ServerConfig.DEFAULT.withHost("127.0.0.1").withPort(0))) {
            URI url = URI.create("ws://127.0.0.1:" + server.port() + "/ws/deflate");
            LoadResult plain = new LoadRun(new LoadOptions(
                            url,
                            5,
                            1,
                            100,
                            1024,
                            Duration.ofSeconds(1),
                            Duration.ofSeconds(2),
                            8,
                            10,
                            1,
                            0,
                            "plain",
                            false,
                            "deflate",
                            0,
                            false))
                    .execute();
            LoadResult deflated = new LoadRun(new LoadOptions(
                            url,
                            5,
                            1,
                            100,
                            1024,
                            Duration.ofSeconds(1),
                            Duration.ofSeconds(2),
                            8,
                            10,
                            1,
                            0,
                            "deflate",
                            false,
                            "deflate",
                            0,
                            true))
                    .execute();
            assertThat(deflated.delivered()).isPositive().isEqualTo(deflated.expectedDeliveries());
            assertThat(deflated.gaps()).isZero();
            double plainPerDelivery = plain.wireBytesPerSecond() / plain.deliveriesPerSecond();
            double deflatedPerDelivery = deflated.wireBytesPerSecond() / deflated.deliveriesPerSecond();
            assertThat(plainPerDelivery).isGreaterThan(1024);
            assertThat(deflatedPerDelivery).isLessThan(plainPerDelivery / 2);
        } finally {
            hub.dispose();
        }
    }
}
