package io.reactivehub.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The soak preset, short: a real hub in its own JVM (this module's test classpath), three minutes of fan-out with churn, slow consumers and a
 * subscribe/unsubscribe storm (-Dsoak.seconds to change it), then: the server's RSS, heap after
 * GC, direct memory and file descriptors stayed flat, the fan-out lost nothing, and the slow
 * consumers were dropped with 4001.
 */
class SoakIT {
    private static final int SECONDS = Integer.getInteger("soak.seconds", 180);

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES) // the soak bounds itself: duration, then joins of at most 2 min
    void aShortSoakStaysFlatAndLosesNothing() throws Exception {
        int port = ServerChild.freePort();
        List<String> command = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "io.reactivehub.server.cli.HubCommand",
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port));
        try (ServerChild server = ServerChild.start(command, port)) {
            SoakRun.Options options = new SoakRun.Options(
                    server.port, server.pid(), Duration.ofSeconds(SECONDS), 10, 100, 100, 10, 3, 15, 3, 40);
            ByteArrayOutputStream table = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(table, true, StandardCharsets.UTF_8);
            SoakRun.Result result = new SoakRun(options, out).execute();
            SoakReport.print(result, out);
            String report = table.toString(StandardCharsets.UTF_8);
            System.out.println(report);

            assertThat(result.rows()).hasSizeGreaterThanOrEqualTo(SECONDS / 10);
            assertThat(result.fanout().delivered()).as(report).isPositive();
            assertThat(result.fanout().lost()).as(report).isZero();
            assertThat(result.fanout().gaps()).as(report).isZero();
            assertThat(result.slowConnects()).as(report).isPositive();
            assertThat(result.slowConsumerCloses()).as(report).isPositive();
            assertThat(result.stormOps()).as(report).isPositive();
            assertThat(result.stormErrors()).as(report).isZero();
            assertThat(result.flat()).as(report).isTrue();
            assertThat(server.process.isAlive()).as(server.output()).isTrue();
        }
    }
}
