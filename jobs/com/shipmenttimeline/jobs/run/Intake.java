package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.source.RawEventSource;
import com.shipmenttimeline.jobs.source.RawFile;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.schemas.StoredStateSql;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.Column;
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
    private final int lookBackDays;

    /** @param futureTolerance how far an event may be ahead of the run's clock: it sets how many earlier folders a window reads */
    Intake(SparkSession spark, Warehouse warehouse, RawEventSource source, Duration futureTolerance) {
        this.spark = spark;
        this.warehouse = warehouse;
        this.source = source;
        this.lookBackDays = lookBackDays(futureTolerance);
    }

    /**
     * How many arrival folders before a window's first day can hold an event of the window (contract
     * section 5): the days the future tolerance reaches (an event stamped ahead of the clock that
     * filed it), plus one for producers that name folders by a local date. Two with the default 24 h.
     */
    static int lookBackDays(Duration futureTolerance) {
        long days = futureTolerance.toDays() + (futureTolerance.toDays() * 86_400 == futureTolerance.toSeconds() ? 0 : 1);
        return (int) days + 1;
    }

    /** The first arrival folder that can hold an event at or after {@code windowStartDate}. */
    LocalDate firstFolderOf(LocalDate windowStartDate) {
        return windowStartDate.minusDays(lookBackDays);
    }

    /**
     * A base run's files: every ingest date from the first folder that can hold an event of the
     * window ({@link #firstFolderOf}), up to a backfill's {@code --to}. Of the folders before the
     * window's first day only the events at or after the window start count ({@link #baseRead}).
     */
    List<RawFile> baseFiles(LocalDate windowStartDate, Optional<LocalDate> to) {
        return source.listFrom(firstFolderOf(windowStartDate)).stream().filter(f -> to.isEmpty() || !f.ingestDate().isAfter(to.get())).toList();
    }

    /**
     * A base run's rows: every row of the files from the window's first day on, and of the earlier
     * folders only the events at or after the window start (the others are history the run neither
     * reads nor counts: a row without a readable timestamp there belonged to an earlier window).
     */
    Dataset<Row> baseRead(List<RawFile> files, Instant windowStart, Instant futureAfter) {
        LocalDate firstDay = windowStart.atZone(ZoneOffset.UTC).toLocalDate();
        List<RawFile> inWindow = files.stream().filter(f -> !f.ingestDate().isBefore(firstDay)).toList();
        List<RawFile> earlier = files.stream().filter(f -> f.ingestDate().isBefore(firstDay)).toList();
        Dataset<Row> rows = source.read(inWindow, windowStart, futureAfter);
        if (earlier.isEmpty()) {
            return rows;
        }
        Column ts = org.apache.spark.sql.functions.col(com.shipmenttimeline.schemas.RawEvents.EVENT_TIMESTAMP);
        return rows.unionByName(source.read(earlier, windowStart, futureAfter)
                .filter(ts.isNotNull().and(ts.geq(org.apache.spark.sql.functions.lit(java.sql.Timestamp.from(windowStart))))));
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

    /** A replay's files: every arrival folder that can hold an event after the replay point. */
    List<RawFile> replayFiles(Instant from) {
        return source.listFrom(firstFolderOf(from.atZone(ZoneOffset.UTC).toLocalDate()));
    }

    /** What a batch passed over, and why, beside the files it reads. */
    record BatchFiles(List<RawFile> files, int passedOver, List<String> missing) {}

    /**
     * A streaming batch's files: those the stream offered, less files a committed run has read already
     * (a fresh stream offers every file there is) and files in arrival folders before the first that
     * can hold an event of the latest base window (history it froze). Offered files that are gone are
     * listed apart.
     */
    BatchFiles batchFiles(List<String> offered) {
        Set<String> readBefore = warehouse.ledger().readBefore(offered);
        Optional<LocalDate> frozenBefore = firstOpenFolder();
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

    /**
     * The first arrival folder that can still bring a batch anything: the first that can hold an event
     * of the latest base window (the folders before it hold history that base run froze). Empty
     * before the first base run.
     */
    Optional<LocalDate> firstOpenFolder() {
        return warehouse.ledger().lastBaseWindowStart().map(w -> firstFolderOf(w.atZone(ZoneOffset.UTC).toLocalDate()));
    }

    /** The latest base run's window start: an incremental run's too (contract section 2, TOO_LATE). */
    Optional<Instant> latestWindowStart() {
        return warehouse.ledger().lastBaseWindowStart();
    }

    static void warnMissing(long batchId, List<String> missing) {
        if (!missing.isEmpty()) {
            LOG.warn("batch {}: {} offered file(s) are no longer there and are skipped (moved or deleted since the stream listed them): {}",
                    batchId, missing.size(), missing);
        }
    }
}
