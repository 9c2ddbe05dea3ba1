package com.shipmenttimeline.testing;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.SparkSessions;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** One SparkSession for the whole test JVM: local[2], few shuffle partitions, no UI, Delta on. */
public final class SharedSpark {
    private static SparkSession session;

    private SharedSpark() {}

    public static synchronized SparkSession get() {
        if (session == null) {
            Settings.SparkSettings s = new Settings.SparkSettings("local[2]", "shipment-timeline-tests", 2, false,
                    Map.of("spark.sql.adaptive.enabled", "false", "spark.default.parallelism", "2"));
            SparkSession.Builder b = SparkSession.builder().master("local[2]").appName(s.appName());
            for (Map.Entry<String, String> e : SparkSessions.required(s).entrySet()) {
                b = b.config(e.getKey(), e.getValue());
            }
            session = b.getOrCreate();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> session.stop()));
        }
        return session;
    }

    /** A small DataFrame from literal rows. */
    public static Dataset<Row> rows(StructType schema, Object[]... rows) {
        List<Row> list = java.util.Arrays.stream(rows).map(RowFactory::create).toList();
        return get().createDataFrame(list, schema);
    }
}
