package io.reactivehub.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Reads the JSON files of a {@code compare.sh} run ({@code SERVER-RUN.json}, one array of results
 * each) and prints, per scenario (subscribers, publishers, rate, size), each server's best
 * deliveries/s and lowest server CPU per delivery over its runs, and the ratios against the first
 * server (the hub).
 */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = "Side-by-side table of a compare.sh results directory: best of the runs, hub/reference ratios.")
final class CompareCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Results directory (hub-bench/results/<date>-<preset>)")
    Path dir;

    @Option(
            names = "--servers",
            split = ",",
            defaultValue = "hub,netty,node",
            description = "Servers in column order; the first is compared with the others. Default: ${DEFAULT-VALUE}")
    List<String> servers;

    /** One server's best figures for one scenario. */
    private static final class Best {
        double deliveriesPerSecond;
        double serverMicros = Double.NaN;
        double generatorMicros = Double.NaN;
        long lost;
        double p99Ms = Double.NaN;
        int runs;

        void add(JsonNode r) {
            runs++;
            double d = r.path("deliveriesPerSecond").asDouble();
            if (d > deliveriesPerSecond) {
                deliveriesPerSecond = d;
                p99Ms = r.path("latencyMs").path("p99").asDouble(Double.NaN);
            }
            serverMicros = min(serverMicros, micros(r, "serverCpu"));
            generatorMicros = min(generatorMicros, micros(r, "generatorCpu"));
            lost += r.path("lost").asLong();
        }

        /** CPU microseconds per delivery, computed from the CPU % when an older generator did not write it. */
        private static double micros(JsonNode r, String prefix) {
            JsonNode given = r.get(prefix + "MicrosPerDelivery");
            if (given != null && given.isNumber()) {
                return given.asDouble();
            }
            double perSecond = r.path("deliveriesPerSecond").asDouble();
            double percent = r.path(prefix + "Percent").asDouble(Double.NaN);
            return perSecond > 0 ? percent * 10_000 / perSecond : Double.NaN;
        }

        private static double min(double a, double b) {
            return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.min(a, b);
        }
    }

    @Override
    public Integer call() throws IOException {
        ObjectMapper json = new ObjectMapper();
        // scenario -> server -> best
        Map<String, Map<String, Best>> table = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*-*.json")) {
            stream.forEach(files::add);
        }
        files.sort(null);
        for (Path file : files) {
            String name = file.getFileName().toString();
            String server = name.substring(0, name.lastIndexOf('-'));
            for (JsonNode r : json.readTree(file.toFile())) {
                String scenario = String.format(
                        Locale.ROOT,
                        "%6d %4d %7s %6d",
                        r.path("subscribers").asInt(),
                        r.path("publishers").asInt(),
                        r.path("rate").asInt() <= 0 ? "max" : r.path("rate").asText(),
                        r.path("size").asInt());
                table.computeIfAbsent(scenario, k -> new LinkedHashMap<>())
                        .computeIfAbsent(server, k -> new Best())
                        .add(r);
            }
        }
        if (table.isEmpty()) {
            System.err.println("no results in " + dir);
            return 1;
        }
        String first = servers.get(0);
        StringBuilder header =
                new StringBuilder(String.format(Locale.ROOT, "%6s %4s %7s %6s", "subs", "pubs", "rate", "size"));
        for (String s : servers) {
            header.append(String.format(Locale.ROOT, " %14s %9s %8s", s + " deliv/s", "srv us/d", "gen us/d"));
        }
        for (String s : servers.subList(1, servers.size())) {
            header.append(String.format(Locale.ROOT, " %12s %12s", first + "/" + s + " d/s", first + "/" + s + " cpu"));
        }
        System.out.println(header);
        for (Map.Entry<String, Map<String, Best>> row : table.entrySet()) {
            StringBuilder line = new StringBuilder(row.getKey());
            for (String s : servers) {
                Best b = row.getValue().get(s);
                line.append(
                        b == null
                                ? String.format(Locale.ROOT, " %14s %9s %8s", "-", "-", "-")
                                : String.format(
                                        Locale.ROOT,
                                        " %,14.0f %9.3f %8.3f",
                                        b.deliveriesPerSecond,
                                        b.serverMicros,
                                        b.generatorMicros));
            }
            Best hub = row.getValue().get(first);
            for (String s : servers.subList(1, servers.size())) {
                Best other = row.getValue().get(s);
                if (hub == null || other == null || other.deliveriesPerSecond <= 0) {
                    line.append(String.format(Locale.ROOT, " %12s %12s", "-", "-"));
                } else {
                    line.append(String.format(
                            Locale.ROOT,
                            " %11.2fx %11.2fx",
                            hub.deliveriesPerSecond / other.deliveriesPerSecond,
                            hub.serverMicros / other.serverMicros));
                }
            }
            for (String s : servers) {
                Best b = row.getValue().get(s);
                if (b != null && b.lost > 0) {
                    line.append("  ").append(s).append(" lost ").append(b.lost);
                }
            }
            System.out.println(line);
        }
        System.out.println("best of each server's runs: highest deliveries/s, lowest server and generator CPU"
                + " microseconds per delivery; ratios are " + first + " / reference (CPU: lower is better)");
        return 0;
    }
}
