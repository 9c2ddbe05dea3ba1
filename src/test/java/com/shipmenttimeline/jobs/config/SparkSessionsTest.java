package com.shipmenttimeline.jobs.config;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.SharedSpark;
import org.apache.spark.metrics.source.CodegenMetrics;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class SparkSessionsTest {
    /** A plan whose generated code differs with {@code i} (the literals are written into the code). */
    private static Dataset<Row> plan(SparkSession spark, int i) {
        return spark.range(3).select(col("id").plus(lit(i)).multiply(lit(i + 7)).as("v"));
    }

    private static long compiles() {
        return CodegenMetrics.METRIC_COMPILATION_TIME().getCount();
    }

    /**
     * An incremental batch generates about 150 classes; with Spark's default cache of 100 each batch
     * compiled them all again. A class generated 150 classes ago is still cached; the cache holds a
     * few hundred, not more (each batch also makes a few classes of its own, kept until it is full).
     */
    @Test
    void generatedClassesOutliveOneBatchWorthOfOthers() {
        SparkSession spark = SharedSpark.get();
        assertEquals(Integer.toString(SparkSessions.CODEGEN_CACHE_ENTRIES), spark.conf().get("spark.sql.codegen.cache.maxEntries"));
        int offset = 1_000_000 + (int) (System.nanoTime() % 1000) * 1000; // no earlier test made these classes
        long before = compiles();
        assertEquals((long) offset * (offset + 7), plan(spark, offset).collectAsList().get(0).getLong(0));
        long afterFirst = compiles();
        assertTrue(afterFirst > before, "the first plan compiled its class");
        int plans = 0;
        while (compiles() < afterFirst + 150) { // one batch's worth of other classes (a plan makes one or two)
            plan(spark, offset + ++plans).collectAsList();
        }
        assertTrue(plans >= 75, "each other plan compiled classes of its own: " + plans);
        long beforeAgain = compiles();
        assertEquals((long) offset * (offset + 7), plan(spark, offset).collectAsList().get(0).getLong(0));
        assertEquals(beforeAgain, compiles(), "the first plan's class came from the cache");
    }
}
