package io.reactivehub.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.Writer;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/** What one load run measured. */
record LoadResult(
        String label,
        String url,
        int subscribers,
        int publishers,
        int rate,
        int size,
        double seconds,
        int connections,
        int connectFailures,
        double connectSeconds,
        long sent,
        long expectedDeliveries,
        long delivered,
        double deliveriesPerSecond,
        long lost,
        long gaps,
        long reordered,
        long disconnects,
        Histogram latency,
        double serverCpuPercent,
        long serverRssBytes,
        double generatorCpuPercent,
        long serverRssPerConnection,
        double wireBytesPerSecond,
        double idleServerCpuPercent) {

    static final double[] PERCENTILES = {50, 90, 99, 99.9, 100};

    /** The server's CPU time per delivery in the window, in microseconds (NaN without a server pid). */
    double serverCpuMicrosPerDelivery() {
        return cpuMicrosPerDelivery(serverCpuPercent);
    }

    /** The generator's own CPU time per delivery, in microseconds. */
    double generatorCpuMicrosPerDelivery() {
        return cpuMicrosPerDelivery(generatorCpuPercent);
    }

    private double cpuMicrosPerDelivery(double cpuPercent) {
        // percent of one core = 10,000 microseconds of CPU per second
        return deliveriesPerSecond > 0 ? cpuPercent * 10_000 / deliveriesPerSecond : Double.NaN;
    }

    double latencyMs(double percentile) {
        return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(percentile) / 1e6;
    }

    static String table(List<LoadResult> results) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "%-16s %6s %4s %7s %6s %14s %10s %9s %9s %9s %9s %9s %8s %9s %9s %8s %9s %10s%n",
                "run",
                "subs",
                "pubs",
                "rate",
                "size",
                "deliveries/s",
                "lost",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "p99.9 ms",
                "max ms",
                "srv cpu",
                "srv us/d",
                "srv rss",
                "gen cpu",
                "gen us/d",
                "wire MB/s"));
        for (LoadResult r : results) {
            out.append(String.format(
                    Locale.ROOT,
                    "%-16s %6d %4d %7s %6d %,14.0f %10d %9.3f %9.3f %9.3f %9.3f %9.3f %7.0f%% %9.3f %8.0fM %7.0f%% %9.3f %10.1f%n",
                    r.label,
                    r.subscribers,
                    r.publishers,
                    r.rate <= 0 ? "max" : Integer.toString(r.rate),
                    r.size,
                    r.deliveriesPerSecond,
                    r.lost,
                    r.latencyMs(50),
                    r.latencyMs(90),
                    r.latencyMs(99),
                    r.latencyMs(99.9),
                    r.latencyMs(100),
                    r.serverCpuPercent,
                    r.serverCpuMicrosPerDelivery(),
                    r.serverRssBytes < 0 ? Double.NaN : r.serverRssBytes / 1048576.0,
                    r.generatorCpuPercent,
                    r.generatorCpuMicrosPerDelivery(),
                    r.wireBytesPerSecond / 1e6));
        }
        return out.toString();
    }

    static void writeJson(List<LoadResult> results, Writer writer) throws IOException {
        try (JsonGenerator json = new JsonFactory().createGenerator(writer)) {
            json.useDefaultPrettyPrinter();
            json.writeStartArray();
            for (LoadResult r : results) {
                json.writeStartObject();
                json.writeStringField("label", r.label);
                json.writeStringField("url", r.url);
                json.writeNumberField("subscribers", r.subscribers);
                json.writeNumberField("publishers", r.publishers);
                json.writeNumberField("rate", r.rate);
                json.writeNumberField("size", r.size);
                json.writeNumberField("seconds", r.seconds);
                json.writeNumberField("connections", r.connections);
                json.writeNumberField("connectFailures", r.connectFailures);
                json.writeNumberField("connectSeconds", r.connectSeconds);
                json.writeNumberField("sent", r.sent);
                json.writeNumberField("expectedDeliveries", r.expectedDeliveries);
                json.writeNumberField("delivered", r.delivered);
                json.writeNumberField("deliveriesPerSecond", r.deliveriesPerSecond);
                json.writeNumberField("lost", r.lost);
                json.writeNumberField("gaps", r.gaps);
                json.writeNumberField("reordered", r.reordered);
                json.writeNumberField("disconnects", r.disconnects);
                json.writeObjectFieldStart("latencyMs");
                for (double p : PERCENTILES) {
                    json.writeNumberField(
                            "p" + (p == Math.floor(p) ? Long.toString((long) p) : Double.toString(p)), r.latencyMs(p));
                }
                json.writeEndObject();
                json.writeNumberField("serverCpuPercent", r.serverCpuPercent);
                json.writeNumberField("serverRssBytes", r.serverRssBytes);
                json.writeNumberField("serverCpuMicrosPerDelivery", r.serverCpuMicrosPerDelivery());
                json.writeNumberField("generatorCpuPercent", r.generatorCpuPercent);
                json.writeNumberField("generatorCpuMicrosPerDelivery", r.generatorCpuMicrosPerDelivery());
                json.writeNumberField("wireBytesPerSecond", r.wireBytesPerSecond);
                json.writeNumberField(
                        "wireBytesPerDelivery", r.delivered == 0 ? 0 : r.wireBytesPerSecond * r.seconds / r.delivered);
                if (r.serverRssPerConnection >= 0) {
                    json.writeNumberField("serverRssBytesPerConnection", r.serverRssPerConnection);
                }
                if (!Double.isNaN(r.idleServerCpuPercent)) {
                    json.writeNumberField("idleServerCpuPercent", r.idleServerCpuPercent);
                }
                json.writeEndObject();
            }
            json.writeEndArray();
        }
    }
}
