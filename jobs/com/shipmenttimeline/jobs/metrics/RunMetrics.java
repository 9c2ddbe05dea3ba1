package com.shipmenttimeline.jobs.metrics;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.warehouse.RunRecord;

import com.shipmenttimeline.schemas.QuarantineReason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's figures as metric data: what goes to the log always (and to processing_runs, through
 * {@link RunRecord#figures}), and to CloudWatch when {@code metrics.sink = cloudwatch}. Every datum
 * carries the {@code Environment} dimension, the one the alarms in emr/ watch; the quarantine
 * counts by reason carry {@code Reason} too.
 */
public final class RunMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(RunMetrics.class);

    public static final String PROCESSING_LAG = "ProcessingLagSeconds";
    public static final String THROUGHPUT = "ThroughputEventsPerMinute";
    public static final String ERROR_RATE = "ErrorRatePercent";
    public static final String QUARANTINED = "QuarantinedEvents";
    public static final String LATE = "LateEvents";
    public static final String MISSING = "MissingEvents";
    public static final String ROWS_WRITTEN = "RowsWritten";
    public static final String DURATION = "DurationSeconds";
    public static final String COST = "EstimatedCostUSD";
    public static final String RUNS_FAILED = "RunsFailed";
    public static final String COST_PER_EVENT = "CostPerEventUSD";
    /** The monitor's: now minus the newest event in the realtime view, and its timed probe query by shipment. */
    public static final String DATA_FRESHNESS = "DataFreshnessSeconds";
    public static final String VIEW_QUERY = "ViewQueryMilliseconds";

    /** Every metric name the jobs and the monitor publish. */
    public static final List<String> NAMES = List.of(PROCESSING_LAG, THROUGHPUT, ERROR_RATE, QUARANTINED, LATE, MISSING, ROWS_WRITTEN,
            DURATION, COST, RUNS_FAILED, COST_PER_EVENT, DATA_FRESHNESS, VIEW_QUERY);

    private RunMetrics() {}

    /** The data of a committed run, from its record's counts and figures. */
    public static List<MetricValue> of(RunRecord r) {
        RunRecord.Figures f = r.figures();
        List<MetricValue> d = new ArrayList<>();
        if (f.processingLagSeconds() != null) {
            d.add(MetricValue.of(PROCESSING_LAG, f.processingLagSeconds(), "Seconds"));
        }
        d.add(MetricValue.of(THROUGHPUT, f.throughputPerMinute(), "None"));
        d.add(MetricValue.of(ERROR_RATE, 100.0 * f.errorRate(), "Percent"));
        d.add(MetricValue.of(QUARANTINED, r.counts().quarantined(), "Count"));
        for (QuarantineReason reason : QuarantineReason.values()) {
            d.add(new MetricValue(QUARANTINED, r.quarantined(reason), "Count", Map.of("Reason", reason.name())));
        }
        d.add(MetricValue.of(LATE, r.counts().late(), "Count"));
        d.add(MetricValue.of(MISSING, f.missingEvents(), "Count"));
        d.add(MetricValue.of(ROWS_WRITTEN, r.counts().timeline(), "Count"));
        d.add(MetricValue.of(DURATION, r.durationSeconds(), "Seconds"));
        d.add(MetricValue.of(COST, f.estimatedCostUsd(), "None"));
        if (f.costPerEventUsd() != null) {
            d.add(MetricValue.of(COST_PER_EVENT, f.costPerEventUsd(), "None"));
        }
        return d;
    }

    /** One line for the log: every datum of the run. */
    public static String line(String runId, List<MetricValue> data) {
        return "metrics " + runId + ": " + data.stream().filter(x -> x.dimensions().isEmpty())
                .map(x -> x.name() + "=" + String.format(Locale.ROOT, x.value() == Math.rint(x.value()) ? "%.0f" : "%.3f", x.value()))
                .collect(Collectors.joining(" "));
    }

    /** Logs the data, then publishes it; a publishing failure is logged, never fails a committed run. */
    public static void report(Settings.MetricsSettings settings, String runId, Instant at, List<MetricValue> data) {
        LOG.info(line(runId, data));
        if (settings.sink() != Settings.MetricsSink.CLOUDWATCH) {
            return;
        }
        try (MetricsPublisher p = CloudWatchPublisher.create(settings)) {
            p.publish(at, data);
            LOG.info("metrics {}: {} data published to CloudWatch namespace {}", runId, data.size(), settings.namespace());
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("metrics {}: could not publish to CloudWatch ({}); the figures are in processing_runs", runId,
                    Settings.oneLine(String.valueOf(e.getMessage())));
        }
    }
}
