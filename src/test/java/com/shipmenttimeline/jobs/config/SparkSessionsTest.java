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
     * compiled them all again. A class generated 150 classes ago is still cached.
     */
    @Test
    void generatedClassesOutliveOneBatchWorthOfOthers() {
        SparkSession spark = SharedSpark.get();
        assertEquals("1000", spark.conf().get("spark.sql.codegen.cache.maxEntries"));
        int offset = 1_000_000 + (int) (System.nanoTime() % 1000) * 1000; // no earlier test made these classes
        long before = compiles();
        assertEquals((long) offset * (offset + 7), plan(spark, offset).collectAsList().get(0).getLong(0));
        long afterFirst = compiles();
        assertTrue(afterFirst > before, "the first plan compiled its class");
        for (int i = 1; i <= 150; i++) {
            plan(spark, offset + i).collectAsList();
        }
        assertTrue(compiles() >= afterFirst + 150, "each other plan compiled a class of its own");
        long beforeAgain = compiles();
        assertEquals((long) offset * (offset + 7), plan(spark, offset).collectAsList().get(0).getLong(0));
        assertEquals(beforeAgain, compiles(), "the first plan's class came from the cache");
    }
}
