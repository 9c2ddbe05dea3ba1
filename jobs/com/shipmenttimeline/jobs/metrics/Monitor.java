package com.shipmenttimeline.jobs.metrics;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.warehouse.Ledger;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.jobs.warehouse.WarehouseException;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code --mode monitor}: the alert conditions (docs/reference/metrics.md, "Alert conditions") evaluated against the warehouse's
 * checkpoint and run history, one line each, no Spark. From a cron, an EMR step or a notebook.
 *
 * <ul>
 *   <li>processing_lag: now minus the checkpoint (the newest event in the timeline); WARNING.
 *   <li>error_rate: quarantined over read, summed over the runs of the last 24 hours; CRITICAL.
 *   <li>missing_events: events that can never enter the timeline (TOO_LATE quarantines of incremental runs, 24 h); WARNING.
 *   <li>daily_cost: the estimated cost of the last 24 hours' runs; INFO.
 * </ul>
 *
 * <p>And retention: WARNING when the timeline holds an event from before the day before the
 * retention's cutoff, so a nightly purge did not run or failed ({@code retention.days}; OK and
 * "off" at 0).
 *
 * <p>And two figures with no alert of their own (always OK): data_freshness, now minus the newest
 * event the realtime view shows (what a reader sees, where processing_lag is what the jobs
 * committed), and view_query, the time of a fixed probe that reads one shipment's timeline from the
 * view.
 */
public final class Monitor {
    public enum Severity { OK, INFO, WARNING, CRITICAL }

    /** One evaluated condition. */
    public record Condition(String name, Severity severity, String value, String threshold, double figure) {
        String line() {
            return String.format(Locale.ROOT, "%-8s %-15s %s (threshold %s)", severity, name, value, threshold);
        }
    }

    private final Warehouse warehouse;
    private final Settings.MonitorSettings limits;
    private final Settings settings;

    public Monitor(Warehouse warehouse, Settings settings) {
        this.warehouse = warehouse;
        this.limits = settings.monitor();
        this.settings = settings;
    }

    public List<Condition> evaluate(Instant now) {
        warehouse.objects().ensure();
        try (Connection c = warehouse.connect()) {
            List<Condition> out = new ArrayList<>();
            Optional<Instant> checkpoint = warehouse.ledger().checkpoint(c);
            if (checkpoint.isEmpty()) {
                out.add(new Condition("processing_lag", Severity.WARNING, "no checkpoint yet: no run has committed", minutes(limits.maxLag()),
                        Double.NaN));
            } else {
                Duration lag = Duration.between(checkpoint.get(), now);
                out.add(new Condition("processing_lag", lag.compareTo(limits.maxLag()) > 0 ? Severity.WARNING : Severity.OK,
                        minutes(lag) + " behind (checkpoint " + checkpoint.get() + ")", minutes(limits.maxLag()), lag.toMillis() / 1000.0));
            }
            Ledger.RunTotals day = warehouse.ledger().succeededSince(c, now.minus(Duration.ofHours(24)));
            double rate = day.read() == 0 ? 0 : (double) day.quarantined() / day.read();
            out.add(new Condition("error_rate", rate > limits.maxErrorRate() ? Severity.CRITICAL : Severity.OK,
                    String.format(Locale.ROOT, "%.2f%% (%d quarantined of %d read in 24 h)", 100 * rate, day.quarantined(), day.read()),
                    String.format(Locale.ROOT, "%.2f%%", 100 * limits.maxErrorRate()), 100 * rate));
            long missing = warehouse.ledger().missingEvents(c, now.minus(Duration.ofHours(24)));
            out.add(new Condition("missing_events", missing > limits.maxMissingEvents() ? Severity.WARNING : Severity.OK,
                    missing + " events too late for the timeline (TOO_LATE in incremental runs, 24 h)", Long.toString(limits.maxMissingEvents()),
                    missing));
            double cost = Math.round(day.estimatedCostUsd() * 1_000_000) / 1_000_000.0;
            out.add(new Condition("daily_cost", cost > limits.maxDailyCost() ? Severity.INFO : Severity.OK,
                    String.format(Locale.ROOT, "$%.2f estimated in 24 h", cost), String.format(Locale.ROOT, "$%.2f", limits.maxDailyCost()), cost));
            out.add(retention(c, now));
            Optional<Instant> newest = warehouse.ledger().newestEventInView(c);
            out.add(newest.map(n -> new Condition("data_freshness", Severity.OK, minutes(Duration.between(n, now)) + " (newest event in the view "
                    + n + ")", "none", Duration.between(n, now).toMillis() / 1000.0))
                    .orElse(new Condition("data_freshness", Severity.OK, "the view shows no event yet", "none", Double.NaN)));
            Optional<Double> probe = warehouse.ledger().timeViewProbe(c);
            out.add(probe.map(ms -> new Condition("view_query", Severity.OK, String.format(Locale.ROOT, "%.1f ms to read one shipment's timeline", ms),
                    "none", ms)).orElse(new Condition("view_query", Severity.OK, "no shipment stored yet", "none", Double.NaN)));
            return out;
        } catch (SQLException e) {
            throw new WarehouseException("cannot read the checkpoint and run history", e);
        }
    }

    /** The nightly purge keeps the oldest event at or after the cutoff of its night; a day older means a night was missed. */
    private Condition retention(Connection c, Instant now) throws SQLException {
        Optional<Instant> cutoff = settings.retentionCutoff(now);
        if (cutoff.isEmpty()) {
            return new Condition("retention", Severity.OK, "off (retention.days = 0): every row is kept", "none", Double.NaN);
        }
        Instant limit = cutoff.get().minus(Duration.ofDays(1));
        String threshold = "oldest event from " + limit + " on";
        Optional<Instant> oldest = warehouse.ledger().oldestTimelineEvent(c);
        if (oldest.isEmpty()) {
            return new Condition("retention", Severity.OK, "no timeline row stored yet", threshold, Double.NaN);
        }
        double overdueDays = Duration.between(oldest.get(), cutoff.get()).toMinutes() / 1440.0;
        return oldest.get().isBefore(limit)
                ? new Condition("retention", Severity.WARNING, String.format(Locale.ROOT, "oldest event %s is %.1f days before the cutoff %s:"
                        + " the nightly purge has not run or failed (see the base run's log)", oldest.get(), overdueDays, cutoff.get()), threshold, overdueDays)
                : new Condition("retention", Severity.OK, "oldest event " + oldest.get() + ", cutoff " + cutoff.get() + " (" + settings.retentionDays()
                        + " days)", threshold, overdueDays);
    }

    private static String minutes(Duration d) {
        return String.format(Locale.ROOT, "%.1f min", d.toMillis() / 60_000.0);
    }

    /** Prints one line per condition; true when any is CRITICAL (the launcher then exits 5). */
    public static boolean print(List<Condition> conditions, PrintStream out) {
        conditions.forEach(c -> out.println(c.line()));
        return conditions.stream().anyMatch(c -> c.severity() == Severity.CRITICAL);
    }

    /** The figures the alarms and the dashboard watch between runs: lag, missing events, data freshness and the view probe's time. */
    public static List<MetricValue> data(List<Condition> conditions) {
        List<MetricValue> d = new ArrayList<>();
        for (Condition c : conditions) {
            if (Double.isNaN(c.figure())) {
                continue;
            }
            switch (c.name()) {
                case "processing_lag" -> d.add(new MetricValue(RunMetrics.PROCESSING_LAG, c.figure(), "Seconds", java.util.Map.of()));
                case "missing_events" -> d.add(new MetricValue(RunMetrics.MISSING, c.figure(), "Count", java.util.Map.of()));
                case "data_freshness" -> d.add(new MetricValue(RunMetrics.DATA_FRESHNESS, c.figure(), "Seconds", java.util.Map.of()));
                case "view_query" -> d.add(new MetricValue(RunMetrics.VIEW_QUERY, c.figure(), "Milliseconds", java.util.Map.of()));
                default -> { }
            }
        }
        return d;
    }
}
