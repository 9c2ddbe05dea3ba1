package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.dev.FaultInjection;
import com.shipmenttimeline.jobs.lake.TimelineLake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.Reliability;
import com.shipmenttimeline.testing.SharedSpark;
import com.shipmenttimeline.testing.TestWarehouse;
import java.io.File;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kill the incremental job at a stage boundary (the process halts as on kill -9: no shutdown
 * hooks, no cleanup), restart it, and check that every event is in the view exactly once, the lake
 * holds no copy twice, the counts add up and the checkpoint is where it should be.
 */
class CrashRecoveryTest {
    static final long DAY = IncrementalJobTest.DAY;
    static final long D0 = IncrementalJobTest.D0;

    /**
     * CI kills at four points, one of each kind of recovery: the plain batch after its lake write (the
     * lake ahead of the warehouse; the re-run must not append twice) and after its commit (the re-run
     * finds itself committed), the rewriting batch inside its transaction (the rewrite rolls back
     * whole), the base run after its lake write (the next run puts the lake back). The chaos test
     * kills at random moments besides. {@code -Dtimeline.test.all-kill-points=true} (bench/reliability)
     * kills every job at all five points, after the read and before the commit too.
     */
    static java.util.stream.Stream<String> incrementalPoints() {
        return Boolean.getBoolean("timeline.test.all-kill-points") ? ALL_POINTS.stream()
                : java.util.stream.Stream.of(FaultInjection.AFTER_LAKE_WRITE, FaultInjection.AFTER_COMMIT);
    }

    static java.util.stream.Stream<String> rewritingBatchPoints() {
        return Boolean.getBoolean("timeline.test.all-kill-points") ? ALL_POINTS.stream()
                : java.util.stream.Stream.of(FaultInjection.IN_TRANSACTION);
    }

    static java.util.stream.Stream<String> basePoints() {
        return Boolean.getBoolean("timeline.test.all-kill-points") ? ALL_POINTS.stream()
                : java.util.stream.Stream.of(FaultInjection.AFTER_LAKE_WRITE);
    }

    private static final List<String> ALL_POINTS = List.of(FaultInjection.AFTER_READ, FaultInjection.AFTER_LAKE_WRITE,
            FaultInjection.BEFORE_COMMIT, FaultInjection.IN_TRANSACTION, FaultInjection.AFTER_COMMIT);

    /** Runs the launcher in a child JVM, as spark-submit would, optionally halting at a crash point. */
    static int launch(IncrementalJobTest.Deployment d, String crashAt, String... args) throws Exception {
        // The killed run's lease lapses quickly here, so the restart does not wait long for it; the restart's
        // own lease is longer, so that a renewal late on a busy machine does not lose it.
        Process p = start(d, crashAt, d.schema + "-" + (crashAt == null ? "restart" : crashAt), crashAt == null ? "20s" : "3s", args);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the child run finished");
        return p.exitValue();
    }

    /** Starts the launcher in a child JVM (its output in target/crash-logs/{@code logName}.log); the caller waits or kills it. */
    static Process start(IncrementalJobTest.Deployment d, String crashAt, String logName, String leaseTtl, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.addAll(List.of(System.getProperty("timeline.test.jvm-flags", "").trim().split("\\s+")));
        if (crashAt != null) {
            cmd.add("-D" + FaultInjection.PROPERTY + "=" + crashAt);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Launcher.class.getName());
        cmd.addAll(List.of(args));
        cmd.add("spark.master=local[2]");
        cmd.add("spark.shuffle-partitions=2");
        for (String o : List.of("paths.raw=" + d.raw.root(), "paths.lake=" + d.dir.resolve("lake"),
                "paths.streaming-checkpoint=" + d.dir.resolve("stream"))) {
            cmd.add(o);
        }
        cmd.addAll(TestWarehouse.overrides(d.schema).stream().map(o -> o.replace("\"", "")).toList());
        cmd.add("warehouse.lease.ttl=" + leaseTtl);
        cmd.add("warehouse.lease.wait=30s");
        File log = Path.of("target", "crash-logs", logName + ".log").toFile();
        log.getParentFile().mkdirs();
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
    }

    @ParameterizedTest(name = "killed {0}")
    @MethodSource("incrementalPoints")
    void aKilledIncrementalRunRecoversWithEveryEventExactlyOnce(String point, @TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = new IncrementalJobTest.Deployment(dir);
        d.raw.reference(4, Instant.parse("2025-07-04T00:00:00Z"));
        Random r = new Random(point.hashCode());
        List<Event> history = new ArrayList<>();
        List<Event> fresh = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            long ts = D0 + DAY + i * 600_000_000L;
            Event e = new Event("S" + r.nextInt(4), "ev" + i, ts, IncrementalJobTest.STATUSES[r.nextInt(5)], "L" + (1 + r.nextInt(3)), null);
            (i < 30 ? history : fresh).add(e);
        }
        d.raw.parquet(LocalDate.parse("2025-07-02"), history);
        d.base("--mode", "daily_base", "--as-of", "2025-07-02T06:00:00Z");
        d.raw.parquet(LocalDate.parse("2025-07-02"), fresh.subList(0, 15));
        d.raw.parquet(LocalDate.parse("2025-07-02"), fresh.subList(15, 30));

        String[] run = {"--mode", "incremental", "--as-of", "2025-07-03T00:00:00Z"};
        assertEquals(137, launch(d, point, run), "halted at " + point);
        long committedBeforeRestart = TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_incremental"));
        assertEquals(point.equals(FaultInjection.AFTER_COMMIT) ? 30 : 0, committedBeforeRestart);

        assertEquals(0, launch(d, null, run), "the restart succeeds");

        assertEquals(60, TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_realtime")), "the view, refreshed by the restart");
        assertEquals(60, TestWarehouse.count("SELECT count(DISTINCT event_id) FROM " + d.t("shipment_timeline_realtime")));
        assertEquals(30, TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_incremental")));
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM (SELECT shipment_id FROM " + d.t("shipment_timeline_realtime")
                + " GROUP BY shipment_id HAVING count(*) <> max(event_sequence)) gaps"), "sequences 1..n per shipment");
        TimelineLake lake = new TimelineLake(SharedSpark.get(), dir.resolve("lake").toString());
        assertEquals(30, lake.read(TimelineLake.INCREMENTAL_TABLE).count(), "the lake holds each batch once");
        assertEquals(TestWarehouse.query("SELECT max(event_timestamp) AS m FROM " + d.t("shipment_timeline_realtime")).get(0).get("m"),
                d.checkpoint());
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + d.t("processing_checkpoints") + " WHERE status <> 'refreshed'"));
        d.assertEveryRunAddsUp();
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM information_schema.tables WHERE table_schema = '" + d.schema
                + "' AND table_name LIKE 'stg%'"), "the restart drops the killed attempt's staging tables and its own");
        assertTrue(new File(dir.toFile(), "stream").isDirectory());
        Reliability.record("kill -9", "incremental job killed " + point, "exit 137 with " + committedBeforeRestart
                + " rows committed; the restart waits out the dead run's lease and exits 0: " + d.assertExactlyOnce(60)
                + "; the lake holds the batch once; the view refreshed");
    }

    /**
     * The same for a batch that rewrites stored rows: events that belong between stored ones and a
     * correction that moves an event to another shipment. After the restart the warehouse equals an
     * uninterrupted run's field by field, and the lake holds exactly the warehouse's rows.
     */
    @ParameterizedTest(name = "killed {0}")
    @MethodSource("rewritingBatchPoints")
    void aKilledBatchThatRewritesRowsRecoversWithNothingLostOrDoubled(String point, @TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment killed = new IncrementalJobTest.Deployment(dir.resolve("killed"));
        IncrementalJobTest.Deployment clean = new IncrementalJobTest.Deployment(dir.resolve("clean"));
        Random r = new Random(point.hashCode());
        List<Event> stored = new ArrayList<>();
        List<Event> outOfOrder = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            long ts = D0 + DAY + i * 600_000_000L;
            String status = IncrementalJobTest.STATUSES[r.nextInt(5)];
            stored.add(new Event("S" + (i % 4), "ev" + i, ts, status, "L" + (1 + r.nextInt(3)), null));
            if (i % 5 == 0) { // a scan between two stored events of its shipment, synced late
                outOfOrder.add(new Event("S" + (i % 4), "late" + i, ts + 60_000_000L, status, "L" + (1 + r.nextInt(3)), null));
            }
        }
        Event moved = stored.get(9);
        outOfOrder.add(new Event("S" + ((moved.shipmentId().charAt(1) - '0' + 1) % 4), moved.eventId(), moved.ts() + 1_000_000L, moved.status(),
                moved.locationId(), null)); // a correction: later timestamp, so it wins, under another shipment
        for (IncrementalJobTest.Deployment d : List.of(killed, clean)) {
            d.raw.reference(4, Instant.parse("2025-07-04T00:00:00Z"));
            d.raw.parquet(LocalDate.parse("2025-07-02"), stored);
            d.base("--mode", "daily_base", "--as-of", "2025-07-02T12:00:00Z");
            d.raw.parquet(LocalDate.parse("2025-07-03"), outOfOrder);
        }
        String[] run = {"--mode", "incremental", "--as-of", "2025-07-03T12:00:00Z"};
        clean.incremental("--as-of", "2025-07-03T12:00:00Z");
        assertTrue(TestWarehouse.count("SELECT count(*) FROM " + clean.t("processing_runs") + " WHERE rewritten > 0") > 0, "the batch rewrites rows");
        assertEquals(137, launch(killed, point, run), "halted at " + point);
        assertEquals(0, launch(killed, null, run), "the restart succeeds");

        IncrementalJobTest.assertSameRows(clean.timeline(), killed.timeline(), point);
        assertEquals(clean.checkpoint(), killed.checkpoint());
        IncrementalJobTest.assertLakeHoldsTheWarehouseRows(killed);
        killed.assertEveryRunAddsUp();
        Reliability.record("kill -9", "incremental batch that rewrites rows killed " + point, "exit 137; the restart exits 0 and its"
                + " warehouse equals an uninterrupted run's, field by field: " + killed.assertExactlyOnce(40 + outOfOrder.size() - 1)
                + "; the lake holds the warehouse's rows, each once");
    }

    @ParameterizedTest(name = "killed {0}")
    @MethodSource("basePoints")
    void aKilledBaseRunRecoversToWhatAnUninterruptedRunGives(String point, @TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment killed = new IncrementalJobTest.Deployment(dir.resolve("killed"));
        IncrementalJobTest.Deployment clean = new IncrementalJobTest.Deployment(dir.resolve("clean"));
        Random r = new Random(point.hashCode());
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            events.add(new Event("S" + r.nextInt(6), "ev" + i, D0 + DAY + i * 900_000_000L, IncrementalJobTest.STATUSES[r.nextInt(5)],
                    "L" + (1 + r.nextInt(3)), null));
        }
        for (IncrementalJobTest.Deployment d : List.of(killed, clean)) {
            d.raw.reference(6, Instant.parse("2025-07-04T00:00:00Z"));
            d.raw.parquet(LocalDate.parse("2025-07-02"), events.subList(0, 40));
            d.base("--mode", "daily_base", "--as-of", "2025-07-02T12:00:00Z");
            d.raw.parquet(LocalDate.parse("2025-07-02"), events.subList(40, 80));
        }
        String[] nightly = {"--mode", "daily_base", "--as-of", "2025-07-03T00:00:00Z"};
        clean.base(nightly);
        assertEquals(137, launch(killed, point, nightly), "halted at " + point);
        assertEquals(0, launch(killed, null, nightly), "the rerun succeeds");

        IncrementalJobTest.assertSameRows(clean.timeline(), killed.timeline(), point);
        assertEquals(clean.checkpoint(), killed.checkpoint());
        assertEquals(80, TestWarehouse.count("SELECT count(*) FROM " + killed.t("shipment_timeline_realtime")), "refreshed by the rerun");
        TimelineLake lake = new TimelineLake(SharedSpark.get(), killed.dir.resolve("lake").toString());
        assertEquals(80, lake.read(TimelineLake.BASE_TABLE).count(), "the lake holds each row once");
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM information_schema.tables WHERE table_schema = '" + killed.schema
                + "' AND table_name LIKE 'stg%'"));
        killed.assertEveryRunAddsUp();
        Reliability.record("kill -9", "base job killed " + point, "exit 137; the rerun exits 0 and its warehouse equals an"
                + " uninterrupted run's, field by field: " + killed.assertExactlyOnce(80) + "; the lake holds each row once");
    }
}
