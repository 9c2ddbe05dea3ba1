package com.shipmenttimeline.jobs.run;

import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of a run: each stage runs under a named Spark job group (so the Spark UI says what is
 * running) and logs what it did and how long it took.
 */
public final class StageLog {
    private static final Logger LOG = LoggerFactory.getLogger("com.shipmenttimeline.progress");

    /** Sees every finished stage's name and duration in nanoseconds (the benchmark listens); null for none. */
    public static volatile java.util.function.BiConsumer<String, Long> observer;

    private final SparkSession spark;
    private final String runId;
    private final long started = System.nanoTime();

    public StageLog(SparkSession spark, String runId) {
        this.spark = spark;
        this.runId = runId;
    }

    public <T> T run(String stage, Supplier<T> work, Function<T, String> describe) {
        long t0 = System.nanoTime();
        spark.sparkContext().setJobGroup(runId + ":" + stage, runId + " " + stage, false);
        LOG.info("[{}] {} ...", runId, stage);
        try {
            T result = work.get();
            LOG.info("[{}] {} done: {} ({} s, {} s since start)", runId, stage, describe.apply(result),
                    seconds(System.nanoTime() - t0), seconds(System.nanoTime() - started));
            return result;
        } finally {
            spark.sparkContext().clearJobGroup();
            java.util.function.BiConsumer<String, Long> o = observer;
            if (o != null) {
                o.accept(stage, System.nanoTime() - t0);
            }
        }
    }

    public void run(String stage, Runnable work) {
        run(stage, () -> {
            work.run();
            return null;
        }, r -> "ok");
    }

    public void info(String message, Object... args) {
        LOG.info("[" + runId + "] " + message, args);
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e9);
    }
}
