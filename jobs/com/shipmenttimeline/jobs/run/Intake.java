package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.source.RawEventSource;
import com.shipmenttimeline.jobs.source.RawFile;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.schemas.StoredStateSql;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that decides what is new (Hudi's checkpoint resolver, in our terms): which raw files
 * a run or a batch reads, which of a batch's events the timeline holds already, where the
 * checkpoint stands, and whether a batch has committed before; replay included.
 */
final class Intake {
    private static final Logger LOG = LoggerFactory.getLogger(Intake.class);

    private final SparkSession spark;
    private final Warehouse warehouse;
    private final RawEventSource source;

    Intake(SparkSession spark, Warehouse warehouse, RawEventSource source) {
        this.spark = spark;
        this.warehouse = warehouse;
        this.source = source;
    }

    /** A base run's files: every ingest date from the window's first, up to a backfill's {@code --to}. */
    List<RawFile> baseFiles(LocalDate windowStartDate, Optional<LocalDate> to) {
        return source.listFrom(windowStartDate).stream().filter(f -> to.isEmpty() || !f.ingestDate().isAfter(to.get())).toList();
    }

    /** A backfill with {@code --to} may not end before the stored timeline: it would cut it short. */
    void checkBackfillEnd(Optional<LocalDate> to, Instant asOf) {
        Optional<Instant> stored = checkpoint();
        if (to.isPresent() && stored.isPresent() && stored.get().isAfter(asOf)) {
            throw new UsageException("--to " + to.get() + " ends before the stored timeline (checkpoint " + stored.get()
                    + "); a backfill replaces everything from --from on, so omit --to to recompute to the end");
        }
    }

    /**
     * A replay may not start before the latest base window: the base rows from its start on continue
     * each shipment from its rows before it, which the replay would delete, and the replayed events
     * would be numbered after later ones.
     */
    void checkReplayFrom(Instant from) {
        Optional<Instant> windowStart = warehouse.ledger().lastBaseWindowStart();
        if (windowStart.isPresent() && from.isBefore(windowStart.get())) {
            throw new UsageException("--replay-from " + from + " is before the latest base run's window start " + windowStart.get()
                    + ": the base rows from there on continue from the rows a replay would delete; rebuild from that date with"
                    + " --mode backfill --from " + windowStart.get().atZone(ZoneOffset.UTC).toLocalDate() + " or replay from "
                    + windowStart.get() + " or later");
        }
    }

    /** A replay's files: every ingest date from the replay point's. */
    List<RawFile> replayFiles(Instant from) {
        return source.listFrom(from.atZone(ZoneOffset.UTC).toLocalDate());
    }

    /** What a batch passed over, and why, beside the files it reads. */
    record BatchFiles(List<RawFile> files, int passedOver, List<String> missing) {}

    /**
     * A streaming batch's files: those the stream offered, less files a committed run has read already
     * (a fresh stream offers every file there is) and files in arrival folders before the latest base
     * window (history it froze). Offered files that are gone are listed apart.
     */
    BatchFiles batchFiles(List<String> offered) {
        Set<String> readBefore = warehouse.ledger().readBefore(offered);
        Optional<LocalDate> frozenBefore = warehouse.ledger().lastBaseWindowStart().map(w -> w.atZone(ZoneOffset.UTC).toLocalDate());
        RawEventSource.Offered found = source.classify(offered);
        List<RawFile> files = new ArrayList<>();
        int passedOver = 0;
        for (RawFile f : found.files()) {
            if (readBefore.contains(RawFile.canonical(f.path())) || frozenBefore.map(f.ingestDate()::isBefore).orElse(false)) {
                passedOver++;
            } else {
                files.add(f);
            }
        }
        return new BatchFiles(files, passedOver, found.missing());
    }

    Optional<Instant> checkpoint() {
        return warehouse.ledger().checkpoint();
    }

    /** Whether a batch's audit row is committed: a batch Spark runs again after a crash changes nothing. */
    boolean committed(String batchRunId) {
        return warehouse.ledger().runSucceeded(batchRunId);
    }

    /** The event ids among the staged keys that the timeline already holds (an incremental batch's already_processed). */
    Dataset<Row> storedEventIds(String keysTable) {
        return warehouse.staging().query(spark, new StoredStateSql(warehouse.ddl()).storedEventIds(keysTable));
    }

    static void warnMissing(long batchId, List<String> missing) {
        if (!missing.isEmpty()) {
            LOG.warn("batch {}: {} offered file(s) are no longer there and are skipped (moved or deleted since the stream listed them): {}",
                    batchId, missing.size(), missing);
        }
    }
}
