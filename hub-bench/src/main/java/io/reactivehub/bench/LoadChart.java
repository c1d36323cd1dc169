package io.reactivehub.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/** A PNG of a set of runs: deliveries/s as bars, latency percentiles as lines on a second axis. */
final class LoadChart {
    private LoadChart() {}

    static void write(List<LoadResult> results, Path file) throws IOException {
        DefaultCategoryDataset throughput = new DefaultCategoryDataset();
        DefaultCategoryDataset latency = new DefaultCategoryDataset();
        for (LoadResult r : results) {
            String category = r.label() + " " + r.subscribers() + "×" + r.publishers();
            throughput.addValue(r.deliveriesPerSecond(), "deliveries/s", category);
            for (double p : new double[] {50, 99, 99.9}) {
                double ms = r.latencyMs(p);
                if (!Double.isNaN(ms)) {
                    latency.addValue(
                            Math.max(ms, 0.001),
                            "p" + (p == 99.9 ? "99.9" : Long.toString((long) p)) + " ms",
                            category);
                }
            }
        }
        CategoryPlot plot = new CategoryPlot();
        plot.setDomainAxis(new CategoryAxis("run"));
        plot.setDataset(0, throughput);
        NumberAxis deliveries = new NumberAxis("deliveries per second");
        plot.setRangeAxis(0, deliveries);
        BarRenderer bars = new BarRenderer();
        bars.setSeriesPaint(0, new Color(0x4C72B0));
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        plot.setRenderer(0, bars);
        plot.setDataset(1, latency);
        NumberAxis ms = new NumberAxis("latency (ms)");
        plot.setRangeAxis(1, ms);
        plot.mapDatasetToRangeAxis(1, 1);
        LineAndShapeRenderer lines = new LineAndShapeRenderer();
        lines.setDefaultStroke(new BasicStroke(2f));
        plot.setRenderer(1, lines);
        plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart("WebSocket fan-out", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1000, 560);
    }
}
