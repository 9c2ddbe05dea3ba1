package com.shipmenttimeline.jobs;

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

    /** Every metric name the jobs and the monitor publish. */
    public static final List<String> NAMES = List.of(PROCESSING_LAG, THROUGHPUT, ERROR_RATE, QUARANTINED, LATE, MISSING, ROWS_WRITTEN,
            DURATION, COST, RUNS_FAILED);

    /** One value: a metric name, its CloudWatch unit, and dimensions beyond Environment. */
    public record Datum(String name, double value, String unit, Map<String, String> dimensions) {
        static Datum of(String name, double value, String unit) {
            return new Datum(name, value, unit, Map.of());
        }
    }

    /** Where data goes besides the log. */
    public interface Publisher extends AutoCloseable {
        void publish(Instant at, List<Datum> data);

        @Override
        default void close() {}
    }

    private RunMetrics() {}

    /** The data of a finished run, from its processing_runs row. */
    public static List<Datum> of(RunRecord r) {
        List<Datum> d = new ArrayList<>();
        if (r.get("processing_lag_seconds") != null) {
            d.add(Datum.of(PROCESSING_LAG, (Double) r.get("processing_lag_seconds"), "Seconds"));
        }
        d.add(Datum.of(THROUGHPUT, (Double) r.get("throughput_per_minute"), "None"));
        d.add(Datum.of(ERROR_RATE, 100.0 * (Double) r.get("error_rate"), "Percent"));
        d.add(Datum.of(QUARANTINED, r.number("quarantined"), "Count"));
        for (QuarantineReason reason : QuarantineReason.values()) {
            d.add(new Datum(QUARANTINED, r.number(reason.countColumn()), "Count", Map.of("Reason", reason.name())));
        }
        d.add(Datum.of(LATE, r.number("late"), "Count"));
        d.add(Datum.of(MISSING, r.number("missing_events"), "Count"));
        d.add(Datum.of(ROWS_WRITTEN, r.number("timeline_rows"), "Count"));
        d.add(Datum.of(DURATION, (Double) r.get("duration_seconds"), "Seconds"));
        d.add(Datum.of(COST, (Double) r.get("estimated_cost_usd"), "None"));
        return d;
    }

    /** One line for the log: every datum of the run. */
    public static String line(String runId, List<Datum> data) {
        return "metrics " + runId + ": " + data.stream().filter(x -> x.dimensions().isEmpty())
                .map(x -> x.name() + "=" + String.format(Locale.ROOT, x.value() == Math.rint(x.value()) ? "%.0f" : "%.3f", x.value()))
                .collect(Collectors.joining(" "));
    }

    /** Logs the data, then publishes it; a publishing failure is logged, never fails a committed run. */
    public static void report(Settings.MetricsSettings settings, String runId, Instant at, List<Datum> data) {
        LOG.info(line(runId, data));
        if (settings.sink() != Settings.MetricsSink.CLOUDWATCH) {
            return;
        }
        try (Publisher p = CloudWatchPublisher.create(settings)) {
            p.publish(at, data);
            LOG.info("metrics {}: {} data published to CloudWatch namespace {}", runId, data.size(), settings.namespace());
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("metrics {}: could not publish to CloudWatch ({}); the figures are in processing_runs", runId,
                    Settings.oneLine(String.valueOf(e.getMessage())));
        }
    }
}
