package com.shipmenttimeline.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.jobs.warehouse.WarehouseLease;
import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.TestWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An incremental step that starts while a base run holds the lease (EMR runs two steps at once): it
 * waits for the base run, saying so in its log, and takes its files in once the base run ends; when
 * the base run outlasts {@code incremental.wait-for-base}, it ends successfully with one line and
 * changes nothing, and the next run takes the files in. Two processes: this JVM holds the lease the way
 * a base run does (by the same code, as {@code daily_base}), the step is the launcher in a child JVM.
 */
class BaseRunOverlapTest {
    static final long HOUR = 3_600_000_000L;

    @TempDir
    Path dir;

    @Test
    void anIncrementalStepWaitsForABaseRunOrLeavesItsFilesForTheNextTrigger() throws Exception {
        IncrementalJobTest.Deployment d = IncrementalJobTest.Deployment.withOneStoredEvent(dir, 2);
        long d1 = IncrementalJobTest.D0 + IncrementalJobTest.DAY;
        d.raw.parquet(LocalDate.parse("2025-07-02"), List.of(new Event("S0", "a2", d1 + HOUR, "IN_TRANSIT", "L2", null),
                new Event("S1", "b1", d1 + 2 * HOUR, "PICKED_UP", "L1", null)));
        String[] step = {"--mode", "incremental", "--as-of", "2025-07-03T00:00:00Z"};
        String incremental = "SELECT count(*) FROM " + d.t("shipment_timeline_incremental");
        Object checkpointBefore = d.checkpoint();

        // 1. The base run outlasts the wait: exit 0, one line, nothing changed.
        try (Warehouse w = d.warehouse(); WarehouseLease base = holdAsBaseRun(w, "daily_base-20250703T000000Z-overlap")) {
            Process p = CrashRecoveryTest.start(d, null, d.schema + "-gives-up", "20s", with(step, "incremental.wait-for-base=4s"));
            assertTrue(p.waitFor(3, TimeUnit.MINUTES));
            String out = Files.readString(crashLog(d.schema + "-gives-up"));
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("timeline: base run daily_base-20250703T000000Z-overlap holds the lease; files left for the next trigger"), out);
            assertTrue(out.contains("holds the timeline lease; waited 0 s of 4 s, then the new files are left for the next trigger"), out);
            assertEquals(0, TestWarehouse.count(incremental), "nothing taken in");
            assertEquals(checkpointBefore, d.checkpoint(), "the checkpoint did not move");
            assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + d.t("processing_runs") + " WHERE process_type = 'incremental'"),
                    "no run recorded: it did not run");
        }

        // 2. The base run ends within the wait: the step waits, then takes the files in.
        Process p;
        try (Warehouse w = d.warehouse(); WarehouseLease base = holdAsBaseRun(w, "daily_base-20250703T000000Z-overlap2")) {
            p = CrashRecoveryTest.start(d, null, d.schema + "-waits", "20s", with(step, "incremental.wait-for-base=3m"));
            Path log = crashLog(d.schema + "-waits");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!Files.readString(log).contains("s of 180 s, then the new files") && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(200);
            }
            assertTrue(Files.readString(log).contains("holds the timeline lease; waited 0 s of 180 s"), "it says it waits: " + Files.readString(log));
            Thread.sleep(3000);
        }
        assertTrue(p.waitFor(3, TimeUnit.MINUTES));
        String out = Files.readString(crashLog(d.schema + "-waits"));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("incremental batch"), out);
        d.assertExactlyOnce(3);
    }

    /** Takes the lease as a base run does. */
    static WarehouseLease holdAsBaseRun(Warehouse w, String runId) {
        return WarehouseLease.acquire(w, runId, "daily_base", Duration.ofMinutes(2), Duration.ZERO, Clock.systemUTC());
    }

    static String[] with(String[] args, String... more) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.Arrays.stream(more)).toArray(String[]::new);
    }

    static Path crashLog(String name) {
        return Path.of("target", "crash-logs", name + ".log");
    }
}
