package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.SparkSessions;
import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.jobs.warehouse.RedshiftConnector;
import com.shipmenttimeline.jobs.warehouse.Warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A base run and an incremental run against a real Amazon Redshift cluster, through the real
 * spark-redshift connector and S3. It runs only where a cluster is reachable and EMR's jars are on
 * the classpath, i.e. on an EMR primary node:
 *
 * <pre>
 * REDSHIFT_JDBC_URL=jdbc:redshift:iam://&lt;endpoint&gt;:5439/&lt;db&gt; REDSHIFT_DB_USER=timeline_etl \
 * REDSHIFT_TEMPDIR=s3://&lt;processed bucket&gt;/redshift-temp REDSHIFT_IAM_ROLE_ARN=arn:aws:iam::...:role/... \
 * mvn verify -Dit.test=RedshiftIT -Dredshift.classpath=/usr/share/aws/redshift/spark-redshift/lib/spark-redshift.jar,...
 * </pre>
 *
 * Everywhere else it is skipped, saying which variable is missing. It works in a schema of its own
 * and drops it afterwards.
 */
class RedshiftIT {
    private static final List<String> VARIABLES = List.of("REDSHIFT_JDBC_URL", "REDSHIFT_DB_USER", "REDSHIFT_TEMPDIR", "REDSHIFT_IAM_ROLE_ARN");

    @TempDir
    Path dir;

    @Test
    void aBaseRunAndAnIncrementalRunLoadRedshiftWithMicrosecondsIntact() throws Exception {
        for (String v : VARIABLES) {
            String value = System.getenv(v);
            assumeTrue(value != null && !value.isBlank(), v + " is not set: this test needs a real Redshift cluster (set " + VARIABLES + ")");
        }
        assumeTrue(RedshiftConnector.available(), "the spark-redshift connector is not on the classpath: run on an EMR primary node"
                + " with -Dredshift.classpath=<EMR's connector, spark-avro and Redshift JDBC jars>");
        String schema = "timeline_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        List<String> overrides = new ArrayList<>(List.of(
                "timeline.data-dir=" + dir, "spark.master=local[2]", "spark.shuffle-partitions=4", "metrics.sink=log",
                "warehouse.kind=redshift", "warehouse.jdbc-url=" + System.getenv("REDSHIFT_JDBC_URL"),
                "warehouse.user=" + System.getenv("REDSHIFT_DB_USER"), "warehouse.schema=" + schema,
                "warehouse.redshift.tempdir=" + System.getenv("REDSHIFT_TEMPDIR"),
                "warehouse.redshift.iam-role-arn=" + System.getenv("REDSHIFT_IAM_ROLE_ARN"),
                "generator.events=5000", "generator.end-date=2025-07-11", "generator.hold-back=2h"));
        Settings settings = Settings.load(null, overrides);
        try {
            assertEquals(0, launch(overrides, "--mode", "generate"));
            assertEquals(0, launch(overrides, "--mode", "daily_base", "--as-of", "2025-07-12T00:00:00Z"));
            Map<String, Long> lake = lakeTimestamps(settings);
            try (Warehouse w = Warehouse.openForSql(settings.warehouse()); Connection c = w.connect(); Statement st = c.createStatement()) {
                Map<String, Long> stored = new HashMap<>();
                try (ResultSet rs = st.executeQuery("SELECT event_id, DATEDIFF(microsecond, TIMESTAMP '1970-01-01', event_timestamp) FROM "
                        + w.ddl().qualified("shipment_timeline_base"))) {
                    while (rs.next()) {
                        stored.put(rs.getString(1), rs.getLong(2));
                    }
                }
                assertEquals(lake, stored, "every row of the Delta copy is in Redshift, to the microsecond");
                try (ResultSet rs = st.executeQuery("SELECT status, timeline_rows FROM " + w.ddl().qualified("processing_runs"))) {
                    assertTrue(rs.next());
                    assertEquals("succeeded", rs.getString(1));
                    assertEquals(stored.size(), rs.getLong(2));
                }
            }
            // The held-back events arrive: the incremental job appends them through the connector.
            java.nio.file.Files.walk(dir.resolve("incoming")).filter(java.nio.file.Files::isRegularFile).forEach(f -> {
                try {
                    Path target = dir.resolve("raw").resolve(dir.resolve("incoming").relativize(f));
                    java.nio.file.Files.createDirectories(target.getParent());
                    java.nio.file.Files.copy(f, target);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertEquals(0, launch(overrides, "--mode", "incremental", "--as-of", "2025-07-12T00:00:00Z"));
            try (Warehouse w = Warehouse.openForSql(settings.warehouse()); Connection c = w.connect(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM " + w.ddl().qualified("shipment_timeline_incremental") + "),"
                            + " (SELECT count(*) FROM " + w.ddl().qualified("shipment_timeline_realtime") + "),"
                            + " (SELECT count(DISTINCT event_id) FROM " + w.ddl().qualified("shipment_timeline_realtime") + ")")) {
                assertTrue(rs.next());
                assertTrue(rs.getLong(1) > 0, "the incremental run appended rows");
                assertEquals(rs.getLong(2), rs.getLong(3), "one row per event in the refreshed view");
            }
        } finally {
            try (Warehouse w = Warehouse.openForSql(settings.warehouse()); Connection c = w.connect(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private static int launch(List<String> overrides, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(overrides);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Launcher.run(all.toArray(String[]::new), System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
        if (code != 0) {
            System.err.println(err.toString(StandardCharsets.UTF_8));
        }
        return code;
    }

    private static Map<String, Long> lakeTimestamps(Settings settings) {
        SparkSession spark = SparkSessions.create(settings.spark());
        Map<String, Long> m = new HashMap<>();
        for (Row r : spark.read().format("delta").load(new TimelineLake(spark, settings.paths().lake()).path(TimelineLake.BASE_TABLE))
                .selectExpr("event_id", "unix_micros(event_timestamp)").collectAsList()) {
            m.put(r.getString(0), r.getLong(1));
        }
        spark.stop();
        return m;
    }
}
