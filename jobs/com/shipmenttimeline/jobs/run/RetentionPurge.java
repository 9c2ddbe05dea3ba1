package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.jobs.warehouse.Transactions;
import com.shipmenttimeline.jobs.warehouse.WarehouseLease;
import com.shipmenttimeline.schemas.StoredStateSql;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention (docs/decisions/0005-retention-summaries.md): after a nightly base run's commit, under its lease, the
 * lake's partitions before the cutoff go (when the warehouse holds rows before it), then, in a
 * transaction of its own, the warehouse rows older than {@code retention.days}. A failure here
 * leaves the committed run as it is: it is logged, and the next night's run purges what this one
 * did not (the purge is idempotent).
 */
final class RetentionPurge {
    private static final Logger LOG = LoggerFactory.getLogger(RetentionPurge.class);

    private RetentionPurge() {}

    /** What one purge removed, for the log. */
    private static String describe(Map<StoredStateSql.Purged, Long> n, Instant cutoff) {
        return n.get(StoredStateSql.Purged.TIMELINE_ROWS) + " timeline rows of " + n.get(StoredStateSql.Purged.SHIPMENTS) + " shipments, "
                + n.get(StoredStateSql.Purged.QUARANTINE_ROWS) + " quarantine, " + n.get(StoredStateSql.Purged.LATE_EVENT_ROWS) + " late-event and "
                + n.get(StoredStateSql.Purged.RUN_ROWS) + " audit rows before " + cutoff;
    }

    /**
     * A backfill may not start before the cutoff: the rows it would write there are purged the next
     * night, and the rows before them, which its shipments would continue from, are gone already.
     */
    static void checkBackfillFrom(Settings settings, Optional<LocalDate> from, Instant asOf) {
        if (from.isEmpty() || !settings.retains()) {
            return;
        }
        Instant cutoff = settings.retentionCutoff(asOf).orElseThrow();
        if (from.get().atStartOfDay(ZoneOffset.UTC).toInstant().isBefore(cutoff)) {
            throw new UsageException("--from " + from.get() + " is before the retention cutoff " + cutoff.atZone(ZoneOffset.UTC).toLocalDate()
                    + " (timeline.retention.days = " + settings.retentionDays() + "): rows before it are purged; set retention.days=0"
                    + " or a longer retention to rebuild them");
        }
    }

    /** Purges the lake, then the warehouse; nothing when retention is off; a failure is logged, never thrown. */
    static void run(RunContext run, String runId, WarehouseLease lease, TimelineLake lake, Instant asOf) {
        if (!run.settings.retains()) {
            return;
        }
        Instant cutoff = run.settings.retentionCutoff(asOf, run.clock.instant()).orElseThrow();
        try {
            // The lake first, and only when the warehouse holds rows before the cutoff (the lake holds the same rows): a purge
            // that fails after it leaves those rows in the warehouse, so the next night purges the lake (again) and the warehouse.
            LocalDate cutoffDate = cutoff.atZone(ZoneOffset.UTC).toLocalDate();
            Optional<Instant> oldest = run.warehouse.ledger().oldestTimelineEvent();
            if (oldest.isPresent() && oldest.get().isBefore(cutoff)) {
                run.log.run("purge lake partitions before " + cutoffDate + " (retention)", () -> {
                    lease.check("purge the lake before " + cutoffDate);
                    lake.writingAs(TimelineLake.BASE_RUN_TAG + runId, () -> lake.purgeBefore(cutoffDate));
                });
            }
            String purging = run.staging("purging");
            String summaries = run.staging("purged");
            run.warehouse.staging().createEmpty(purging, StoredStateSql.SHIPMENT_COLUMNS);
            run.warehouse.staging().createEmpty(summaries, StoredStateSql.STATE_COLUMNS);
            run.log.run("purge warehouse rows (retention)", () -> run.warehouse.transactions().inTransaction(c -> {
                lease.fence(c);
                Map<StoredStateSql.Purged, Long> counts = new EnumMap<>(StoredStateSql.Purged.class);
                for (StoredStateSql.Purged p : StoredStateSql.Purged.values()) {
                    counts.put(p, 0L);
                }
                for (StoredStateSql.Purge p : new StoredStateSql(run.warehouse.ddl()).purge(purging, summaries, cutoff)) {
                    counts.merge(p.counts(), (long) Transactions.run(c, p.statement(), Map.of()), Long::sum);
                }
                return counts;
            }), n -> describe(n, cutoff));
        } catch (Exception e) { // Delta's Scala code may throw checked exceptions undeclared; none may reach the run's failure path
            LOG.warn("retention: the purge before {} failed (its warehouse part rolls back whole); the run's commit stands and the next base run purges again: {}",
                    cutoff, Settings.oneLine(String.valueOf(e.getMessage())));
        }
    }
}
