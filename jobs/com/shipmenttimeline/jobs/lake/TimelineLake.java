package com.shipmenttimeline.jobs.lake;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.to_date;

import com.shipmenttimeline.jobs.config.SparkSessions;
import com.shipmenttimeline.schemas.TimelineColumns;
import io.delta.tables.DeltaTable;
import java.time.LocalDate;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The Delta Lake copy of the timeline: {@code <lake>/timeline_base} and
 * {@code <lake>/timeline_incremental}, partitioned by {@code event_date} (UTC). A base run replaces
 * the partitions of its window, which makes its write idempotent: running it again writes the same.
 */
public final class TimelineLake {
    public static final String BASE_TABLE = "timeline_base";
    public static final String INCREMENTAL_TABLE = "timeline_incremental";
    public static final String EVENT_DATE = "event_date";

    private final SparkSession spark;
    private final String root;

    public TimelineLake(SparkSession spark, String root) {
        this.spark = spark;
        this.root = root;
    }

    public String path(String table) {
        return new Path(root, table).toString();
    }

    /** The table's current version, or -1 when it does not exist yet. */
    public long version(String table) {
        if (!DeltaTable.isDeltaTable(spark, path(table))) {
            return -1;
        }
        return DeltaTable.forPath(spark, path(table)).history(1).select("version").first().getLong(0);
    }

    /** Replaces every base partition on or after {@code fromDate} with these rows. */
    public void replaceBaseFrom(Dataset<Row> rows, LocalDate fromDate) {
        rows.withColumn(EVENT_DATE, to_date(col(TimelineColumns.EVENT_TIMESTAMP)))
                .repartition(col(EVENT_DATE))
                .write()
                .format("delta")
                .mode(SaveMode.Overwrite)
                .option("replaceWhere", EVENT_DATE + " >= '" + fromDate + "'")
                .partitionBy(EVENT_DATE)
                .save(path(BASE_TABLE));
    }

    /**
     * Makes a table made before {@link SparkSessions#STATS_COLUMNS} keep Delta statistics for those
     * columns only, from its next write on (files written before keep theirs). New tables get it from
     * the session's defaults; this is one small commit, once per table.
     */
    public void keepStatisticsOf(String table) {
        String p = path(table);
        if (!DeltaTable.isDeltaTable(spark, p)) {
            return;
        }
        String key = "delta." + SparkSessions.STATS_COLUMNS_PROPERTY;
        java.util.Map<String, String> properties = DeltaTable.forPath(spark, p).detail().select("properties").first().getJavaMap(0);
        if (!SparkSessions.STATS_COLUMNS.equals(properties.get(key))) {
            spark.sql("ALTER TABLE delta.`" + p.replace("`", "``") + "` SET TBLPROPERTIES ('" + key + "' = '" + SparkSessions.STATS_COLUMNS + "')");
        }
    }

    /** Rows per task when an incremental batch is written: a small batch is written by one task, without a shuffle. */
    static final long ROWS_PER_WRITE_TASK = 2_000_000;

    /**
     * Appends an incremental batch of {@code rowCount} rows. Delta's {@code txnAppId}/{@code txnVersion}
     * make it idempotent: a batch written before (a re-run after a crash) is skipped by Delta itself.
     * The rows are coalesced, not shuffled, into one task per two million rows: each task writes one
     * file per event date it holds, so a typical batch adds one file per day it touches.
     */
    public void appendIncremental(Dataset<Row> rows, long rowCount, String appId, long version) {
        int tasks = (int) Math.max(1, Math.min(rows.rdd().getNumPartitions(), (rowCount + ROWS_PER_WRITE_TASK - 1) / ROWS_PER_WRITE_TASK));
        rows.withColumn(EVENT_DATE, to_date(col(TimelineColumns.EVENT_TIMESTAMP)))
                .coalesce(tasks)
                .write()
                .format("delta")
                .mode(SaveMode.Append)
                .option("txnAppId", appId)
                .option("txnVersion", version)
                .partitionBy(EVENT_DATE)
                .save(path(INCREMENTAL_TABLE));
    }

    /**
     * An incremental batch that replaces stored rows: deletes the rows of these events from both
     * tables, but for the incremental rows of the batch itself ({@code batchId}), so that a batch
     * written before and run again after a crash keeps what it appended.
     */
    public void deleteEvents(java.util.List<String> eventIds, String batchId) {
        if (eventIds.isEmpty()) {
            return;
        }
        org.apache.spark.sql.Column ids = col(TimelineColumns.EVENT_ID).isin(eventIds.toArray());
        if (DeltaTable.isDeltaTable(spark, path(BASE_TABLE))) {
            DeltaTable.forPath(spark, path(BASE_TABLE)).delete(ids);
        }
        if (DeltaTable.isDeltaTable(spark, path(INCREMENTAL_TABLE))) {
            DeltaTable.forPath(spark, path(INCREMENTAL_TABLE)).delete(ids.and(
                    col(TimelineColumns.INCREMENTAL_BATCH_ID).notEqual(org.apache.spark.sql.functions.lit(batchId))));
        }
    }

    /** Replay: deletes the incremental rows after {@code from}, if the table exists. */
    public void deleteIncrementalAfter(java.time.Instant from) {
        if (DeltaTable.isDeltaTable(spark, path(INCREMENTAL_TABLE))) {
            DeltaTable.forPath(spark, path(INCREMENTAL_TABLE))
                    .delete(col(TimelineColumns.EVENT_TIMESTAMP).gt(org.apache.spark.sql.functions.lit(java.sql.Timestamp.from(from))));
        }
    }

    /** Deletes the rows on or after {@code fromDate}, if the table exists. */
    public void deleteFrom(String table, LocalDate fromDate) {
        if (DeltaTable.isDeltaTable(spark, path(table))) {
            DeltaTable.forPath(spark, path(table)).delete(col(EVENT_DATE).geq(org.apache.spark.sql.functions.lit(fromDate.toString())));
        }
    }

    /**
     * Retention: deletes the partitions before {@code cutoffDate} of both tables (a change to the
     * Delta log only: whole partitions go), then vacuums them, so that their files, and those that
     * earlier runs replaced, leave storage once Delta's retention ({@code
     * delta.deletedFileRetentionDuration}, 7 days by default) has passed. Tables that do not exist
     * are skipped. The caller calls it only when there is something before the cutoff.
     */
    public void purgeBefore(LocalDate cutoffDate) {
        for (String table : List.of(BASE_TABLE, INCREMENTAL_TABLE)) {
            if (DeltaTable.isDeltaTable(spark, path(table))) {
                DeltaTable t = DeltaTable.forPath(spark, path(table));
                t.delete(col(EVENT_DATE).lt(org.apache.spark.sql.functions.lit(cutoffDate.toString())));
                vacuum(t);
            }
        }
    }

    /**
     * VACUUM lists the table's files with {@code spark.sql.sources.parallelPartitionDiscovery.parallelism}
     * tasks, 10,000 by default: a minute of empty tasks on a small machine. For the vacuum it is the
     * session's shuffle partitions (the knob users tune to their cluster), then what it was.
     */
    private void vacuum(DeltaTable t) {
        String key = "spark.sql.sources.parallelPartitionDiscovery.parallelism";
        String was = spark.conf().get(key, null);
        spark.conf().set(key, spark.conf().get("spark.sql.shuffle.partitions"));
        try {
            t.vacuum();
        } finally {
            if (was == null) {
                spark.conf().unset(key);
            } else {
                spark.conf().set(key, was);
            }
        }
    }

    /** The session setting Delta writes into each commit's {@code userMetadata}. */
    static final String USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata";
    /** How a base run's (or backfill's) lake commits are tagged: the prefix, then the run id. */
    public static final String BASE_RUN_TAG = "shipment-timeline base run ";
    /** How an incremental batch's lake commits are tagged: the prefix, then the batch's run id. */
    public static final String INCREMENTAL_RUN_TAG = "shipment-timeline incremental run ";

    /**
     * Runs lake writes with every Delta commit they make tagged ({@code userMetadata}), so that a later
     * run can tell whose they were ({@link #uncommittedBaseVersions}); the session's setting is put back
     * after (a notebook's session may have its own).
     */
    public void writingAs(String tag, Runnable writes) {
        String was = spark.conf().get(USER_METADATA, null);
        spark.conf().set(USER_METADATA, tag);
        try {
            writes.run();
        } finally {
            if (was == null) {
                spark.conf().unset(USER_METADATA);
            } else {
                spark.conf().set(USER_METADATA, was);
            }
        }
    }

    /**
     * A table's newest commits that a base run made and the warehouse never committed (contract
     * section 5: nothing stored is lost, nothing duplicated): read newest first from the commit log
     * itself ({@link DeltaCommits}: no Spark job, which every cold start would pay), while each commit is
     * tagged by a base run that {@code committed} denies. Returns the version to restore to (the one
     * before the oldest of them), or -1 when the table is not ahead. An untagged commit, a committed
     * run's, a restore, or an incremental batch's (which Delta's transaction ids make idempotent when
     * Spark runs the batch again, and which RESTORE would not undo: it keeps transaction ids) ends the walk.
     *
     * @return empty when the table is not ahead; else the version to restore to, -1 when the table's
     *     every version is such a run's (then {@link #putBack} empties it)
     */
    public java.util.OptionalLong uncommittedBaseVersions(String table, java.util.function.Predicate<String> committed) {
        DeltaCommits commits = new DeltaCommits(path(table), spark.sparkContext().hadoopConfiguration());
        java.util.OptionalLong latest = commits.exists() ? commits.latestVersion() : java.util.OptionalLong.empty();
        java.util.OptionalLong restoreTo = java.util.OptionalLong.empty();
        for (long v = latest.orElse(-1); v >= 0 && v > latest.getAsLong() - HISTORY_WALKED; v--) {
            java.util.Optional<java.util.Optional<String>> meta = commits.userMetadata(v);
            String tag = meta.flatMap(m -> m).orElse(null);
            if (tag == null || !tag.startsWith(BASE_RUN_TAG) || committed.test(tag.substring(BASE_RUN_TAG.length()))) {
                break;
            }
            restoreTo = java.util.OptionalLong.of(v - 1);
        }
        return restoreTo;
    }

    /** Commits walked back at most (a base run makes a few). */
    private static final int HISTORY_WALKED = 50;

    /** Puts a table back to {@code version}; -1 empties it (its first version was a run that never committed). */
    public void putBack(String table, long version) {
        DeltaTable t = DeltaTable.forPath(spark, path(table));
        if (version < 0) {
            t.delete();
        } else {
            t.restoreToVersion(version);
        }
    }

    /** Puts a table back to an earlier version: a failed run leaves the lake as it found it. */
    public void restore(String table, long version) {
        if (version >= 0 && version(table) > version) {
            DeltaTable.forPath(spark, path(table)).restoreToVersion(version);
        }
    }

    /** Reads a table (without the partition column). */
    public Dataset<Row> read(String table) {
        return spark.read().format("delta").load(path(table)).drop(EVENT_DATE);
    }
}
