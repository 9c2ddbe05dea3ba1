package com.shipmenttimeline.jobs.config;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the SparkSession a run uses: UTC, Delta enabled; the job's tuning where the user set none. */
public final class SparkSessions {
    private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);

    private SparkSessions() {}

    /** Generated classes Spark keeps: two batches' worth, not many more (see {@link #required}). */
    public static final int CODEGEN_CACHE_ENTRIES = 300;

    /** The Delta table property that names the columns Delta keeps statistics for. */
    public static final String STATS_COLUMNS_PROPERTY = "dataSkippingStatsColumns";

    /** The lake's statistics columns: what its readers skip files by. */
    public static final String STATS_COLUMNS = "shipment_id,event_timestamp";

    /** Delta Lake's SQL extension: a static setting, given when a session is built. */
    public static final String DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension";
    /** Delta Lake's catalog for the session catalog: a static setting too. */
    public static final String DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog";
    public static final String EXTENSIONS = "spark.sql.extensions";
    public static final String SESSION_CATALOG = "spark.sql.catalog.spark_catalog";

    /**
     * What a run cannot be right without, whoever set what: timestamps in UTC and Parquet's dates read
     * as written. A session the jobs build gets these; a caller's session has them set for the run and
     * put back after ({@code ShipmentTimeline}). Delta's extension and catalog are needed as well, but
     * they are static: {@link #create} adds them, a caller's session must have them.
     */
    public static Map<String, String> essential() {
        java.util.Map<String, String> conf = new java.util.LinkedHashMap<>();
        conf.put("spark.sql.session.timeZone", "UTC");
        conf.put("spark.sql.parquet.int96RebaseModeInRead", "CORRECTED");
        conf.put("spark.sql.parquet.datetimeRebaseModeInRead", "CORRECTED");
        return conf;
    }

    /** Every setting this project's sessions get, whoever builds them (the tests use it whole). */
    public static Map<String, String> required(Settings.SparkSettings s) {
        java.util.Map<String, String> conf = new java.util.LinkedHashMap<>(essential());
        conf.put(EXTENSIONS, DELTA_EXTENSION);
        conf.put(SESSION_CATALOG, DELTA_CATALOG);
        conf.putAll(defaults(s, s.master()));
        return conf;
    }

    /**
     * The job's tuning, as defaults: a key the user set (spark-defaults, spark-submit's {@code --conf},
     * the notebook's session) keeps the user's value.
     */
    public static Map<String, String> defaults(Settings.SparkSettings s, String effectiveMaster) {
        java.util.Map<String, String> conf = new java.util.LinkedHashMap<>();
        conf.put("spark.sql.shuffle.partitions", Integer.toString(s.shufflePartitions()));
        conf.put("spark.ui.enabled", Boolean.toString(s.uiFor(effectiveMaster)));
        // The whole timeline window is one shuffle: keep AQE from merging it into one task locally.
        conf.put("spark.sql.adaptive.coalescePartitions.parallelismFirst", "true");
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

    /**
     * The session of a run that builds its own (the launcher, spark-submit on EMR). Spark's own settings
     * win: a key in the JVM's {@code spark.*} system properties (where spark-submit puts spark-defaults,
     * {@code --master}, {@code --name} and {@code --conf}) keeps its value, and the job's
     * {@link #defaults} fill only the rest. The {@link #essential} settings and Delta's are always set
     * (Delta's extension is added to any the user lists).
     */
    public static SparkSession create(Settings.SparkSettings s) {
        SparkConf user = new SparkConf(true);
        SparkSession.Builder b = SparkSession.builder();
        if (!user.contains("spark.app.name")) {
            b = b.appName(s.appName());
        }
        String master = user.contains("spark.master") ? user.get("spark.master") : s.master();
        if (!user.contains("spark.master") && !s.master().isEmpty()) {
            b = b.master(s.master());
        }
        java.util.List<String> kept = new java.util.ArrayList<>();
        for (Map.Entry<String, String> e : defaults(s, master).entrySet()) {
            if (user.contains(e.getKey())) {
                if (!user.get(e.getKey()).equals(e.getValue())) {
                    kept.add(e.getKey() + "=" + user.get(e.getKey()));
                }
            } else {
                b = b.config(e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, String> e : essential().entrySet()) {
            if (user.contains(e.getKey()) && !user.get(e.getKey()).equals(e.getValue())) {
                LOG.warn("spark: {}={} is replaced by {} (the timeline needs it)", e.getKey(), user.get(e.getKey()), e.getValue());
            }
            b = b.config(e.getKey(), e.getValue());
        }
        b = b.config(EXTENSIONS, withDelta(user.get(EXTENSIONS, "")));
        if (user.contains(SESSION_CATALOG) && !user.get(SESSION_CATALOG).equals(DELTA_CATALOG)) {
            LOG.warn("spark: {}={} is replaced by Delta's catalog (the timeline's lake is Delta)", SESSION_CATALOG, user.get(SESSION_CATALOG));
        }
        b = b.config(SESSION_CATALOG, DELTA_CATALOG);
        SparkSession spark = b.getOrCreate();
        LOG.info("spark: master {}, shuffle partitions {}, UI {}{}", spark.sparkContext().master(),
                spark.conf().get("spark.sql.shuffle.partitions"), spark.sparkContext().getConf().get("spark.ui.enabled", "true"),
                kept.isEmpty() ? "" : "; the user's settings kept over the job's defaults: " + String.join(", ", kept));
        return spark;
    }

    /** The user's extension list with Delta's added, if it is not there already. */
    static String withDelta(String extensions) {
        java.util.List<String> list = extensionList(extensions);
        if (!list.contains(DELTA_EXTENSION)) {
            list.add(DELTA_EXTENSION);
        }
        return String.join(",", list);
    }

    /** Whether a {@code spark.sql.extensions} value lists Delta's extension. */
    public static boolean hasDelta(String extensions) {
        return extensionList(extensions).contains(DELTA_EXTENSION);
    }

    private static java.util.List<String> extensionList(String extensions) {
        java.util.List<String> list = new java.util.ArrayList<>();
        for (String e : extensions.split(",")) {
            if (!e.isBlank()) {
                list.add(e.trim());
            }
        }
        return list;
    }
}
