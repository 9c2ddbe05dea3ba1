package com.shipmenttimeline.jobs.config;

import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** Builds the SparkSession every entry point uses: UTC, Delta enabled, the configured partitions. */
public final class SparkSessions {
    private SparkSessions() {}

    /** Generated classes Spark keeps: two batches' worth, not many more (see {@link #required}). */
    public static final int CODEGEN_CACHE_ENTRIES = 300;

    /** The Delta table property that names the columns Delta keeps statistics for. */
    public static final String STATS_COLUMNS_PROPERTY = "dataSkippingStatsColumns";

    /** The lake's statistics columns: what its readers skip files by. */
    public static final String STATS_COLUMNS = "shipment_id,event_timestamp";

    /** The settings every session of this project needs, whoever builds it (the jobs or the tests). */
    public static Map<String, String> required(Settings.SparkSettings s) {
        java.util.Map<String, String> conf = new java.util.LinkedHashMap<>();
        conf.put("spark.sql.session.timeZone", "UTC");
        conf.put("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
        conf.put("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
        conf.put("spark.sql.shuffle.partitions", Integer.toString(s.shufflePartitions()));
        conf.put("spark.ui.enabled", Boolean.toString(s.uiEnabled()));
        // The whole timeline window is one shuffle: keep AQE from merging it into one task locally.
        conf.put("spark.sql.adaptive.coalescePartitions.parallelismFirst", "true");
        conf.put("spark.sql.parquet.int96RebaseModeInRead", "CORRECTED");
        conf.put("spark.sql.parquet.datetimeRebaseModeInRead", "CORRECTED");
        // What the driver keeps in memory for the live UI, even with the UI off: each SQL execution's
        // plan graph and metrics (Spark keeps 1000), and each finished streaming query's progress (100).
        // In a JVM that runs many batches (a notebook, a processing-time trigger) that is most of the
        // heap growth; the history server reads the event log and is not affected.
        conf.put("spark.sql.ui.retainedExecutions", "100");
        conf.put("spark.sql.streaming.ui.retainedQueries", "10");
        conf.put("spark.ui.retainedJobs", "200");
        conf.put("spark.ui.retainedStages", "200");
        // After each commit Delta rebuilds the table's snapshot state (its files and app transactions)
        // with a Spark job over this many partitions, 50 by default: for our logs (a few thousand
        // actions) that was most of an incremental batch's lake write (profiled: 4.4 of 7.5 s).
        conf.put("spark.databricks.delta.snapshotPartitions", "2");
        // Spark keeps the classes it generates for plans and expressions in a cache of 100 entries by
        // default; one incremental batch makes about 150, so each batch evicted the previous batch's
        // classes and compiled all of them again (profiled: ~150 Janino compiles a batch, ~1.5 s).
        // Not much more: each batch also makes about 4 classes of its own (its timestamps are written
        // into the code), which the cache keeps until it is full. At 1000 entries that was 0.2 MB of
        // heap a batch (100-batch load run: 308 to 332 MB); at 300 the growth stops within ~40 batches.
        conf.put("spark.sql.codegen.cache.maxEntries", Integer.toString(CODEGEN_CACHE_ENTRIES));
        // Delta collects min/max statistics for the first 32 columns of every file it writes by default;
        // queries on the lake skip files by shipment and time only (event_date is the partition). New
        // tables get this; TimelineLake sets it on tables made before (measured: the 1M base run's lake
        // write 10.7 s with every column's statistics, 7.8 to 8.3 s with these two).
        conf.put("spark.databricks.delta.properties.defaults." + STATS_COLUMNS_PROPERTY, STATS_COLUMNS);
        conf.putAll(s.extra());
        return conf;
    }

    public static SparkSession create(Settings.SparkSettings s) {
        SparkSession.Builder b = SparkSession.builder().appName(s.appName());
        if (!s.master().isEmpty()) {
            b = b.master(s.master());
        }
        for (Map.Entry<String, String> e : required(s).entrySet()) {
            b = b.config(e.getKey(), e.getValue());
        }
        return b.getOrCreate();
    }
}
