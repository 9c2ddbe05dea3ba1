package com.shipmenttimeline.bench;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.DoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The benchmark report's two plots, drawn from the benchmark's own steps: job time against the
 * history n (the full recompute, the incremental job, a warm batch), and a warm batch's latency
 * against its size. Both axes are logarithmic, so that O(k) reads as a flat line and O(n) as a
 * rising one; tick labels are plain numbers at the values a reader looks for (1M, 4M, 16M; 1, 10,
 * 100 seconds), never powers with fractional exponents.
 */
final class BenchmarkPlots {
    private BenchmarkPlots() {}

    static final String JOB_TIME_PNG = "job-time-vs-n.png";
    static final String WARM_LATENCY_PNG = "warm-batch-latency.png";

    private static final Pattern CONFIG = Pattern.compile("n=(\\d+) k=(\\S+) p=(\\d+) v=(\\w+)");

    /** Job seconds against n: one line each for the full recompute, the incremental job and a warm batch of the smallest size measured. */
    static Path jobTimeVsN(List<Benchmark.Step> steps, Path png) throws IOException {
        return save(jobTimeChart(steps), png);
    }

    static Path warmLatencyVsSize(List<Benchmark.Step> steps, Path png) throws IOException {
        return save(warmLatencyChart(steps), png);
    }

    static JFreeChart jobTimeChart(List<Benchmark.Step> steps) {
        boolean manyConfigs = steps.stream().map(s -> rest(s.config())).filter(r -> r != null).distinct().count() > 1;
        Map<String, XYSeries> series = new TreeMap<>();
        TreeSet<Double> ns = new TreeSet<>();
        for (String config : steps.stream().map(Benchmark.Step::config).distinct().toList()) {
            Matcher m = CONFIG.matcher(config);
            if (!m.find()) {
                continue;
            }
            double n = Double.parseDouble(m.group(1));
            String suffix = manyConfigs ? " [k " + m.group(2) + ", p " + m.group(3) + ", " + m.group(4) + " view]" : "";
            for (Benchmark.Step s : steps) {
                if (!s.config().equals(config)) {
                    continue;
                }
                String name = switch (s.step()) {
                    case "full recompute: job" -> "full recompute (in the bench JVM)";
                    case "incremental: job" -> "incremental job, k = " + m.group(2) + " of n (in the bench JVM, after the base run)";
                    default -> null;
                };
                if (name != null) {
                    series.computeIfAbsent(name + suffix, XYSeries::new).add(n, s.wallSeconds());
                    ns.add(n);
                }
            }
            Map<Long, List<Double>> warm = warmBySize(steps, config);
            if (!warm.isEmpty()) {
                long size = warm.keySet().iterator().next();
                series.computeIfAbsent("warm batch of " + count(size) + " events, landed to visible (running query, steady median)" + suffix,
                        XYSeries::new).add(n, steady(warm.get(size)));
                ns.add(n);
            }
        }
        return chart(series, "Job time against history n (bench/run, " + cores() + " cores)", "history n (events in the base run)",
                "seconds", ns.stream().mapToDouble(Double::doubleValue).toArray(), BenchmarkPlots::count);
    }

    /** A warm batch's seconds from its file landing to its rows in the view, against its size, one line per configuration. */
    static JFreeChart warmLatencyChart(List<Benchmark.Step> steps) {
        Map<String, XYSeries> series = new TreeMap<>();
        TreeSet<Double> sizes = new TreeSet<>();
        for (String config : steps.stream().map(Benchmark.Step::config).distinct().toList()) {
            Matcher m = CONFIG.matcher(config);
            Map<Long, List<Double>> warm = warmBySize(steps, config);
            if (!m.find() || warm.isEmpty()) {
                continue;
            }
            XYSeries s = series.computeIfAbsent("history n = " + count(Double.parseDouble(m.group(1))) + " (" + m.group(4) + " view)",
                    XYSeries::new);
            warm.forEach((size, seconds) -> {
                s.add(size.doubleValue(), steady(seconds));
                sizes.add(size.doubleValue());
            });
        }
        return chart(series, "A warm batch: file landed to rows in the view (running query, " + cores() + " cores)",
                "events in the batch", "seconds", sizes.stream().mapToDouble(Double::doubleValue).toArray(), BenchmarkPlots::count);
    }

    /** The warm-stream steps of one configuration, seconds by batch size in the order run, smallest size first. */
    static Map<Long, List<Double>> warmBySize(List<Benchmark.Step> steps, String config) {
        Map<Long, List<Double>> bySize = new TreeMap<>();
        for (Benchmark.Step s : steps) {
            if (s.config().equals(config) && s.step().startsWith(Benchmark.WARM_STEP) && !s.step().endsWith(Benchmark.ARRIVAL_SUFFIX)) {
                long size = Long.parseLong(s.step().substring(Benchmark.WARM_STEP.length()).replace(" events", ""));
                bySize.computeIfAbsent(size, k -> new ArrayList<>()).add(s.wallSeconds());
            }
        }
        return bySize;
    }

    /** The steady figure of batches of one size: the median of all but the first (which pays for compiling), or the one batch. */
    static double steady(List<Double> seconds) {
        if (seconds.size() == 1) {
            return seconds.get(0);
        }
        List<Double> later = seconds.subList(1, seconds.size()).stream().sorted().toList();
        int m = later.size();
        return m % 2 == 1 ? later.get(m / 2) : (later.get(m / 2 - 1) + later.get(m / 2)) / 2;
    }

    /** A count as a reader writes it: 6k, 50k, 1M, 4M, 16M, 2.5M. */
    static String count(double v) {
        if (v >= 1e6) {
            return plain(v / 1e6) + "M";
        }
        if (v >= 1e3) {
            return plain(v / 1e3) + "k";
        }
        return plain(v);
    }

    /** Seconds as a reader writes them: 0.5, 1, 2, 10, 100. */
    static String seconds(double v) {
        return plain(v);
    }

    private static String plain(double v) {
        return new BigDecimal(v).round(new java.math.MathContext(2)).stripTrailingZeros().toPlainString();
    }

    /** Ticks of a seconds axis: 1, 2 and 5 times the powers of ten that fall between lower and upper. */
    static double[] oneTwoFive(double lower, double upper) {
        List<Double> ticks = new ArrayList<>();
        for (int e = (int) Math.floor(Math.log10(lower)) - 1; e <= (int) Math.ceil(Math.log10(upper)); e++) {
            for (int f : new int[] {1, 2, 5}) {
                double t = f * Math.pow(10, e);
                if (t >= lower && t <= upper) {
                    ticks.add(Double.parseDouble(plain(t)));
                }
            }
        }
        return ticks.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static Path save(JFreeChart chart, Path png) throws IOException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 540);
        return png;
    }

    private static JFreeChart chart(Map<String, XYSeries> series, String title, String xLabel, String yLabel, double[] xTicks,
            DoubleFunction<String> xFormat) {
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        double minX = Double.MAX_VALUE;
        double maxX = Double.MIN_VALUE;
        double minY = Double.MAX_VALUE;
        double maxY = Double.MIN_VALUE;
        for (XYSeries s : series.values()) {
            for (int i = 0; i < s.getItemCount(); i++) {
                minX = Math.min(minX, s.getX(i).doubleValue());
                maxX = Math.max(maxX, s.getX(i).doubleValue());
                minY = Math.min(minY, Math.max(s.getY(i).doubleValue(), 0.01));
                maxY = Math.max(maxY, s.getY(i).doubleValue());
            }
        }
        if (series.isEmpty() || minX > maxX) {
            minX = 1;
            maxX = 10;
            minY = 1;
            maxY = 10;
        }
        ReadableLogAxis x = new ReadableLogAxis(xLabel, xTicks, xFormat);
        x.setRange(minX / 1.6, maxX * 1.6);
        double lowY = minY / 1.6;
        double highY = maxY * 1.6;
        ReadableLogAxis y = new ReadableLogAxis(yLabel, oneTwoFive(lowY, highY), BenchmarkPlots::seconds);
        y.setRange(lowY, highY);
        plot.setDomainAxis(x);
        plot.setRangeAxis(y);
        plot.setRenderer(new XYLineAndShapeRenderer(true, true));
        plot.setBackgroundPaint(java.awt.Color.WHITE);
        plot.setDomainGridlinePaint(java.awt.Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(java.awt.Color.LIGHT_GRAY);
        return chart;
    }

    private static String rest(String config) {
        Matcher m = CONFIG.matcher(config);
        return m.find() ? m.group(2) + " " + m.group(3) + " " + m.group(4) : null;
    }

    private static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** A log axis whose ticks stand at given values with plain labels (LogAxis alone labels 4M as 10^6.60). */
    static final class ReadableLogAxis extends LogAxis {
        private static final long serialVersionUID = 1L;
        private final double[] values;
        private final transient DoubleFunction<String> label;

        ReadableLogAxis(String name, double[] values, DoubleFunction<String> label) {
            super(name);
            this.values = values.clone();
            this.label = label;
        }

        @Override
        @SuppressWarnings({"rawtypes", "unchecked"})
        public List refreshTicks(Graphics2D g2, AxisState state, Rectangle2D dataArea, RectangleEdge edge) {
            TextAnchor anchor = RectangleEdge.isTopOrBottom(edge) ? TextAnchor.TOP_CENTER : TextAnchor.CENTER_RIGHT;
            List ticks = new ArrayList();
            for (NumberTick t : ticks()) {
                ticks.add(new NumberTick(t.getNumber(), t.getText(), anchor, anchor, 0.0));
            }
            return ticks;
        }

        /** The ticks inside the axis's range, with their labels. */
        List<NumberTick> ticks() {
            List<NumberTick> ticks = new ArrayList<>();
            for (double v : values) {
                if (getRange().contains(v)) {
                    ticks.add(new NumberTick(v, label.apply(v), TextAnchor.CENTER, TextAnchor.CENTER, 0.0));
                }
            }
            return ticks;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s %s", getLabel(), ticks().stream().map(NumberTick::getText).toList());
        }
    }
}
