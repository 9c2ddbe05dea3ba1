package com.shipmenttimeline.jobs.run;

import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;

/**
 * A small batch's Spark settings, for the batch alone. Adaptive execution runs each shuffle of a
 * query as a Spark job of its own and plans the next from its output, which pays off on the base
 * window and costs a small batch more than its work (a 1,000-event batch ran 32 jobs); and the
 * configured shuffle partitions are sized for the window, not for a batch. So a batch whose keys
 * were few enough to list ({@link BatchLookups}) runs without adaptive execution, on one shuffle
 * partition per {@value #ROWS_PER_PARTITION} keys (at most the configured number). The session's
 * own values come back when the batch ends, whatever its outcome.
 */
final class SmallBatch implements AutoCloseable {
    static final long ROWS_PER_PARTITION = 25_000;
    static final String SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions";
    static final String ADAPTIVE = "spark.sql.adaptive.enabled";
    static final String WHOLE_STAGE = "spark.sql.codegen.wholeStage";

    private final RuntimeConfig conf;
    private final String partitions;
    private final String adaptive;
    private final boolean adaptiveSet;
    private final String wholeStage;
    private final boolean wholeStageSet;
    private boolean tuned;

    SmallBatch(SparkSession spark) {
        this.conf = spark.conf();
        this.partitions = conf.get(SHUFFLE_PARTITIONS);
        this.adaptiveSet = conf.contains(ADAPTIVE);
        this.adaptive = conf.get(ADAPTIVE, "true");
        this.wholeStageSet = conf.contains(WHOLE_STAGE);
        this.wholeStage = conf.get(WHOLE_STAGE, "true");
    }

    /** Sets the small-batch values when the batch's keys were listed; leaves a large batch as configured. */
    void tune(BatchLookups lookups) {
        if (!lookups.listed()) {
            return;
        }
        long wanted = Math.max(1, (lookups.size() + ROWS_PER_PARTITION - 1) / ROWS_PER_PARTITION);
        conf.set(SHUFFLE_PARTITIONS, Long.toString(Math.min(wanted, Long.parseLong(partitions))));
        conf.set(ADAPTIVE, "false");
        conf.set(WHOLE_STAGE, "false");
        tuned = true;
    }

    @Override
    public void close() {
        if (!tuned) {
            return;
        }
        conf.set(SHUFFLE_PARTITIONS, partitions);
        restore(ADAPTIVE, adaptiveSet, adaptive);
        restore(WHOLE_STAGE, wholeStageSet, wholeStage);
    }

    private void restore(String key, boolean wasSet, String value) {
        if (wasSet) {
            conf.set(key, value);
        } else {
            conf.unset(key);
        }
    }
}
