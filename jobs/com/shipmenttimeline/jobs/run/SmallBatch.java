package com.shipmenttimeline.jobs.run;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;

/**
 * A batch's own Spark settings, for the batch alone: the session's values come back when it ends,
 * whatever its outcome. Every batch collects a bounded number of keys to decide how small it is, in
 * one Spark job (not a first job over one partition and a second over the rest), with adaptive
 * execution off. The settings sized for the base window cost a batch whose keys were few enough to
 * list ({@link BatchLookups}) more than its work (a 1,000-event batch ran 32 Spark jobs): adaptive
 * execution runs each shuffle as a job of its own and plans the next from its output, and a shuffle
 * of the window's width spreads a few thousand rows over many tasks. So a listed batch keeps
 * adaptive execution off and runs on as few shuffle partitions as its keys fill. Up to
 * {@value #MAX_KEYS} keys it is small and also runs without automatic broadcasts (broadcasting a
 * small side costs a job each time where one shuffle partition of it costs nothing) and generated
 * code (compiled before it runs, which on a thousand rows, and in a fresh JVM for every plan, costs
 * more than interpreting them); above, those pay (at 21,000 keys a batch ran slower with every
 * small-batch setting than with adaptive execution alone off, in separate runs; not measured one
 * setting at a time). Explicit broadcasts (the locations) stay. A batch whose keys were staged
 * runs as the session is configured.
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

    /** Keys a batch may have to run without broadcasts and generated code (at 21,000 keys it ran slower so). */
    static final long MAX_KEYS = 5_000;

    /** Listed keys per shuffle partition: a listed batch runs on as few partitions as its keys fill, at most the session's. */
    static final long KEYS_PER_PARTITION = 25_000;

    /**
     * Sizes the batch by its keys. A batch whose keys were listed keeps adaptive execution off and
     * runs on one shuffle partition per {@value #KEYS_PER_PARTITION} keys (at most the session's
     * number): its rows are too few for a shuffle of the base window's width, and adaptive execution
     * would run each shuffle as a job of its own. Up to {@link #MAX_KEYS} keys it is small, and also
     * runs without automatic broadcasts and generated code. A batch whose keys were staged gets the
     * session's own settings back. Returns whether the batch is small.
     */
    boolean tune(BatchLookups lookups) {
        if (!lookups.listed()) {
            close();
            before.clear();
            return false;
        }
        long partitions = Math.max(1, (lookups.size() + KEYS_PER_PARTITION - 1) / KEYS_PER_PARTITION);
        set(SHUFFLE_PARTITIONS, Long.toString(Math.min(partitions, Math.max(1, Long.parseLong(conf.get(SHUFFLE_PARTITIONS))))));
        if (lookups.size() > MAX_KEYS) {
            return false;
        }
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
