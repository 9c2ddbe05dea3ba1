package com.shipmenttimeline.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.jobs.config.SparkSessions;
import com.shipmenttimeline.testing.RawFolder;
import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.SharedSpark;
import com.shipmenttimeline.testing.TestWarehouse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ShipmentTimeline}, the entry for a notebook's own SparkSession: two modes on one session, which
 * stays running and keeps the user's settings; a session without Delta is refused before anything runs.
 */
class NotebookSessionTest {
    static final long HOUR = 3_600_000_000L;

    @TempDir
    Path dir;

    @Test
    void aBackfillThenAnIncrementalRunInTheCallersSessionWhichStaysUsable() throws Exception {
        IncrementalJobTest.Deployment d = new IncrementalJobTest.Deployment(dir);
        d.raw.reference(3, Instant.parse("2025-07-04T00:00:00Z"));
        long d1 = IncrementalJobTest.D0 + IncrementalJobTest.DAY;
        d.raw.parquet(LocalDate.parse("2025-07-02"), List.of(new Event("S0", "a1", d1, "PICKED_UP", "L1", null),
                new Event("S0", "a2", d1 + HOUR, "IN_TRANSIT", "L2", null), new Event("S1", "b1", d1 + 2 * HOUR, "PICKED_UP", "L1", null)));
        List<String> where = new ArrayList<>(TestWarehouse.overrides(d.schema).stream().map(o -> o.replace("\"", "")).toList());
        where.addAll(List.of("paths.raw=" + d.rawUri, "paths.lake=" + d.lakeUri, "paths.streaming-checkpoint=" + d.streamUri));

        SparkSession spark = SharedSpark.get();
        // The user's own session settings: one the job also has a default for, and a time zone the job needs as UTC.
        spark.conf().set("spark.sql.shuffle.partitions", "3");
        spark.conf().set("spark.sql.session.timeZone", "America/New_York");
        try {
            // As a notebook cell calls it (Java or Scala kernel): a backfill, then the incremental run.
            List<String> backfill = new ArrayList<>(List.of("backfill", "--from", "2025-06-25", "--as-of", "2025-07-03T00:00:00Z"));
            backfill.addAll(where);
            ShipmentTimeline.Result first = ShipmentTimeline.run(spark, backfill.toArray(String[]::new));
            assertTrue(first.output().contains("succeeded"), first.output());
            assertStillUsable(spark);

            d.raw.jsonLines(LocalDate.parse("2025-07-03"), List.of(
                    // arrives after a2, belongs before it
                    "{\"event_id\":\"s1\",\"shipment_id\":\"S0\",\"event_timestamp\":\"2025-07-02T00:30:00Z\",\"status\":\"IN_TRANSIT\",\"location_id\":\"L1\"}",
                    RawFolder.json(new Event("S1", "b2", d1 + 5 * HOUR, "DELIVERED", "L2", null))));
            List<String> incremental = new ArrayList<>(List.of("--mode", "incremental", "--as-of", "2025-07-03T00:00:00Z"));
            incremental.addAll(where);
            // The list form, which PySpark's py4j passes a Python list to.
            ShipmentTimeline.Result second = ShipmentTimeline.run(spark, incremental);
            assertTrue(second.output().contains("batch"), second.output());
            assertStillUsable(spark);

            d.assertExactlyOnce(5);
            assertEquals(List.of("a1", "s1", "a2"), TestWarehouse.query("SELECT event_id FROM " + d.t("shipment_timeline_realtime")
                    + " WHERE shipment_id = 'S0' ORDER BY event_sequence").stream().map(r -> r.get("event_id")).toList());
            // A failure is thrown with the launcher's line and code; the session still stands.
            RunFailedException bad = assertThrows(RunFailedException.class, () -> ShipmentTimeline.run(spark, "backfill", "--from", "2025-13-01"));
            assertEquals(2, bad.exitCode(), bad.getMessage());
            assertTrue(bad.getMessage().contains("--from"), bad.getMessage());
            assertStillUsable(spark);
        } finally {
            spark.conf().set("spark.sql.shuffle.partitions", "2");
            spark.conf().set("spark.sql.session.timeZone", "UTC");
        }
    }

    /** The session is not stopped, runs a query, and has the user's settings back. */
    private static void assertStillUsable(SparkSession spark) {
        assertFalse(spark.sparkContext().isStopped(), "the caller's session is not stopped");
        assertEquals(10L, spark.range(10).count(), "a query still runs");
        assertEquals("3", spark.conf().get("spark.sql.shuffle.partitions"), "the user's setting is kept");
        assertEquals("America/New_York", spark.conf().get("spark.sql.session.timeZone"), "the time zone is put back after the run");
    }

    @Test
    void aSessionWithoutDeltaIsRefusedNamingTheSettings() {
        Optional<String> none = ShipmentTimeline.missingDelta("", "");
        assertTrue(none.isPresent());
        assertTrue(none.get().contains("spark.sql.extensions=" + SparkSessions.DELTA_EXTENSION), none.get());
        assertTrue(none.get().contains("spark.sql.catalog.spark_catalog=" + SparkSessions.DELTA_CATALOG), none.get());
        assertTrue(ShipmentTimeline.missingDelta("com.example.Other," + SparkSessions.DELTA_EXTENSION, SparkSessions.DELTA_CATALOG).isEmpty(),
                "Delta's extension among others is enough");
        assertTrue(ShipmentTimeline.missingDelta(SparkSessions.DELTA_EXTENSION, "org.apache.iceberg.spark.SparkSessionCatalog").get()
                .contains("is 'org.apache.iceberg.spark.SparkSessionCatalog'"));
        // The shared test session has both, so it is let through.
        ShipmentTimeline.requireDelta(SharedSpark.get());
    }
}
