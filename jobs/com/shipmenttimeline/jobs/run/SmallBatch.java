package com.shipmenttimeline.jobs.run;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;

/**
 * A batch's own Spark settings, for the batch alone: the session's values come back when it ends,
 * whatever its outcome. Every batch collects a bounded number of keys to decide how small it is, in
 * one Spark job (not a first job over one partition and a second over the rest). A batch whose keys
 * were few enough to list ({@link BatchLookups}) is small, and the settings sized for the base
 * window cost it more than its work (a 1,000-event batch ran 32 Spark jobs), up to
 * {@value #MAX_KEYS} keys (a larger one runs as configured: at 21,000 keys the same settings cost
 * more than they saved): adaptive execution
 * runs each shuffle as a job of its own and plans the next from its output; broadcasting a small
 * side costs a job each time where one shuffle partition of it costs nothing; generated code is
 * compiled before it runs, which on a thousand rows (and in a fresh JVM, for every plan) costs more
 * than interpreting them. So a small batch runs without adaptive execution, automatic broadcasts
 * and code generation, on one shuffle partition. Explicit broadcasts (the locations) stay.
 */
final class SmallBatch implements AutoCloseable {
    static final String SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions";
    static final String ADAPTIVE = "spark.sql.adaptive.enabled";

    private final RuntimeConfig conf;
    /** Each setting changed, with the session's own value (empty: it had none). */
    private final Map<String, Optional<String>> before = new LinkedHashMap<>();

    SmallBatch(SparkSession spark) {
        this.conf = spark.conf();
        set("spark.sql.limit.initialNumPartitions", Integer.toString(Integer.MAX_VALUE / 2));
        // Off until the batch's size is known: the read is cached before, and its cache is filled by the key collect.
        set(ADAPTIVE, "false");
    }

    /** Keys a batch may have to run as a small one (measured: at 21,000 keys these settings cost more than they saved). */
    static final long MAX_KEYS = 5_000;

    /**
     * Sets the small-batch values when the batch's keys were listed and are at most {@link #MAX_KEYS};
     * gives a larger batch the session's own settings back (its rows are many enough for generated
     * code, broadcasts and adaptive execution to pay). Returns whether the batch is small.
     */
    boolean tune(BatchLookups lookups) {
        if (!lookups.listed() || lookups.size() > MAX_KEYS) {
            close();
            before.clear();
            return false;
        }
        set(SHUFFLE_PARTITIONS, "1");
        set("spark.sql.autoBroadcastJoinThreshold", "-1");
        set("spark.sql.codegen.wholeStage", "false");
        set("spark.sql.codegen.factoryMode", "NO_CODEGEN");
        return true;
    }

    private void set(String key, String value) {
        before.putIfAbsent(key, conf.contains(key) ? Optional.of(conf.get(key)) : Optional.empty());
        conf.set(key, value);
    }

    @Override
    public void close() {
        before.forEach((key, value) -> {
            if (value.isPresent()) {
                conf.set(key, value.get());
            } else {
                conf.unset(key);
            }
        });
    }
}
