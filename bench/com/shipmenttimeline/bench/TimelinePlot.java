package com.shipmenttimeline.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The README's plot: what the incremental run and the full recompute cost a user (the job plus the
 * view's refresh, where one was measured) against the history n, one line per view kind, from the
 * benchmark's own steps. Log scales, so that O(k) and O(n) read as a flat and a rising line.
 */
final class TimelinePlot {
    private TimelinePlot() {}

    private static final Pattern N = Pattern.compile("n=(\\d+) .* v=(\\w+)");

    static Path write(List<Benchmark.Step> steps, Path png) throws IOException {
        Map<String, XYSeries> series = new TreeMap<>();
        Map<String, Double> seconds = new TreeMap<>();
        for (Benchmark.Step s : steps) {
            seconds.merge(s.config() + "|" + s.step(), s.wallSeconds(), Double::sum);
        }
        for (Map.Entry<String, Double> e : seconds.entrySet()) {
            String[] key = e.getKey().split("\\|");
            Matcher m = N.matcher(key[0]);
            if (!m.find() || !(key[1].equals("incremental: job") || key[1].equals("full recompute: job"))) {
                continue;
            }
            double total = e.getValue() + seconds.getOrDefault(key[0] + "|" + key[1].replace(": job", ": view refresh"), 0.0);
            String name = (key[1].startsWith("incremental") ? "incremental (k = 1% of n)" : "full recompute") + ", " + m.group(2) + " view";
            series.computeIfAbsent(name, XYSeries::new).add(Double.parseDouble(m.group(1)), total);
        }
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        JFreeChart chart = ChartFactory.createXYLineChart("Shipment Timeline: job + view, seconds, 2 cores (bench/run --plot)",
                "history n (events)", "seconds", data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setDomainAxis(new LogAxis("history n (events)"));
        plot.setRangeAxis(new LogAxis("seconds (job + view)"));
        plot.setRenderer(new XYLineAndShapeRenderer(true, true));
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 540);
        return png;
    }
}
