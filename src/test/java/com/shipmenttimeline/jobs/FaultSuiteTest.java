package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.jobs.run.IncrementalJob;
import com.shipmenttimeline.jobs.run.StageLog;
import com.shipmenttimeline.jobs.warehouse.Retry;
import com.shipmenttimeline.jobs.warehouse.WarehouseException;
import com.shipmenttimeline.jobs.source.InputFileException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.FlakyProxy;
import com.shipmenttimeline.testing.RawFolder;
import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.Reliability;
import com.shipmenttimeline.testing.S3Server;
import com.shipmenttimeline.testing.SharedSpark;
import com.shipmenttimeline.testing.TestWarehouse;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Faults and bad input against the real jobs, warehouse and lake. Each test breaks something,
 * checks that nothing of the broken run was committed (or that what was committed is right),
 * recovers the way the runbook says, and then checks the warehouse: every event exactly once,
 * counts that add up, the checkpoint where it belongs. What each saw goes to docs/reliability.md's
 * reliability table (bench/reliability).
 */
class FaultSuiteTest {
    static final long DAY = IncrementalJobTest.DAY;
    static final long D0 = IncrementalJobTest.D0;
    static final LocalDate JULY_2 = LocalDate.parse("2025-07-02");
    static final String[] INCREMENTAL = {"--as-of", "2025-07-03T00:00:00Z"};
    static final String[] NIGHTLY = {"--mode", "daily_base", "--as-of", "2025-07-03T00:00:00Z"};

    /** n events over {@code shipments} shipments, ten minutes apart from {@code from}. */
    static List<Event> events(String prefix, int n, long from, int shipments, long seed) {
        Random r = new Random(seed);
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Event("S" + r.nextInt(shipments), prefix + i, from + i * 600_000_000L,
                    IncrementalJobTest.STATUSES[r.nextInt(IncrementalJobTest.STATUSES.length)], "L" + (1 + r.nextInt(3)), null));
        }
        return out;
    }

    /** A deployment whose base run has stored 20 events of 2025-07-02 (before 03:20). */
    static IncrementalJobTest.Deployment withHistory(Path dir) throws Exception {
        return withHistory(dir, false);
    }

    /** As {@link #withHistory(Path)}; with {@code lakeCanBeCutOff}, the lake is in the bucket the S3 server can cut off. */
    static IncrementalJobTest.Deployment withHistory(Path dir, boolean lakeCanBeCutOff) throws Exception {
        IncrementalJobTest.Deployment d = new IncrementalJobTest.Deployment(dir);
        if (lakeCanBeCutOff) {
            d.lakeUri = "s3a://" + S3Server.OUTAGE_BUCKET + "/" + d.schema + "/lake";
        }
        d.raw.reference(4, Instant.parse("2025-07-04T00:00:00Z"));
        d.raw.parquet(JULY_2, events("h", 20, D0 + DAY, 4, 1));
        d.base("--mode", "daily_base", "--as-of", "2025-07-02T06:00:00Z");
        return d;
    }

    /** 20 new events of 2025-07-02, after the history's. */
    static List<Event> fresh(String prefix) {
        return events(prefix, 20, D0 + DAY + 6 * 3_600_000_000L, 4, 2);
    }

    /** Five events of shipment S1, ids prefix0..prefix4, a minute apart from 2025-07-02 10:00, with the given further columns. */
    static Dataset<Row> fiveEvents(String prefix, String moreColumns) {
        return SharedSpark.get().sql("SELECT concat('" + prefix + "', id) AS event_id, 'S1' AS shipment_id,"
                + " TIMESTAMP '2025-07-02 10:00:00' + make_interval(0, 0, 0, 0, 0, CAST(id AS INT), 0) AS event_timestamp"
                + moreColumns + " FROM range(5)");
    }

    static long viewRows(IncrementalJobTest.Deployment d) {
        return TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_realtime"));
    }

    static String firstLine(Throwable e) {
        String m = e.getClass().getSimpleName() + ": " + e.getMessage();
        m = m.lines().findFirst().orElse(m);
        return m.length() > 140 ? m.substring(0, 140) + "..." : m;
    }

    // ---- transient failures before the commit: retried ----

    /**
     * Refused connections: one connection attempt of the jobs may open more than one TCP connection
     * (DriverManager offers the URL to each registered driver, and a driver may fall back once), so
     * the tests refuse three, more than one attempt takes, and hold the same refusals against a run
     * with retries (it succeeds) and one without (it fails).
     */
    static final int REFUSED = 3;

    @ParameterizedTest(name = "{0} job")
    @ValueSource(strings = {"base", "incremental"})
    void connectionsThatCannotBeMadeAreRetried(String job, @TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        d.raw.parquet(JULY_2, fresh("f"));
        try (FlakyProxy proxy = new FlakyProxy(TestWarehouse.port())) {
            d.jdbcUrl = proxy.jdbcUrl(TestWarehouse.jdbcUrl());
            d.retry = new Retry(4, java.time.Duration.ofMillis(100));
            proxy.refuseNext(REFUSED);
            if (job.equals("base")) {
                d.base(NIGHTLY);
            } else {
                d.incremental(INCREMENTAL);
            }
            assertEquals(REFUSED, proxy.refused(), "connections refused, a later try went through");
        } finally {
            d.jdbcUrl = TestWarehouse.jdbcUrl();
            d.retry = Retry.DEFAULT;
        }
        Reliability.record("warehouse", "connections refused while a run connects (" + job + " job)",
                REFUSED + " connections refused; retried with backoff, the run succeeds: " + d.assertExactlyOnce(40));
    }

    @Test
    void aConnectionThatDropsWhileTakingTheLeaseIsRetried(@TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        d.raw.parquet(JULY_2, fresh("f"));
        try (FlakyProxy proxy = new FlakyProxy(TestWarehouse.port())) {
            d.jdbcUrl = proxy.jdbcUrl(TestWarehouse.jdbcUrl());
            d.retry = new Retry(3, java.time.Duration.ofMillis(100));
            // Armed once the objects are made sure of: the next statement naming the lease table is the lease's own.
            StageLog.observer = (stage, nanos) -> {
                if (stage.equals("warehouse objects")) {
                    proxy.armOn("timeline_lease");
                }
            };
            d.incremental(INCREMENTAL);
            assertEquals(1, proxy.cuts(), "the lease's connection was cut once");
        } finally {
            StageLog.observer = null;
            d.jdbcUrl = TestWarehouse.jdbcUrl();
            d.retry = Retry.DEFAULT;
        }
        String outcome = d.assertExactlyOnce(40);
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + d.t("timeline_lease") + " WHERE holder_run_id IS NOT NULL"),
                "the lease was released");
        Reliability.record("warehouse", "the connection drops while the incremental job takes the lease",
                "the lease is taken on a retry, the run succeeds and releases it: " + outcome);
    }

    @Test
    void withoutRetriesARefusedConnectionFailsTheRunAndCommitsNothing(@TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        Object checkpointBefore = d.checkpoint();
        d.raw.parquet(JULY_2, fresh("f"));
        try (FlakyProxy proxy = new FlakyProxy(TestWarehouse.port())) {
            d.jdbcUrl = proxy.jdbcUrl(TestWarehouse.jdbcUrl());
            d.retry = Retry.NONE;
            proxy.refuseNext(REFUSED);
            assertThrows(WarehouseException.class, () -> d.base(NIGHTLY));
            assertTrue(proxy.refused() >= 1);
            proxy.refuseNext(0);
        } finally {
            d.jdbcUrl = TestWarehouse.jdbcUrl();
            d.retry = Retry.DEFAULT;
        }
        assertEquals(20, viewRows(d), "nothing of the failed run is visible");
        assertEquals(checkpointBefore, d.checkpoint());
        d.base(NIGHTLY);
        Reliability.record("warehouse", "connections refused, retries off (warehouse.retry.attempts = 1)",
                "the run fails with a warehouse error (exit 1 from the launcher), nothing of it committed; the rerun commits: " + d.assertExactlyOnce(40));
    }

    // ---- the warehouse connection drops mid-transaction ----

    @ParameterizedTest(name = "{0} job, connection cut {1}")
    @CsvSource({"incremental, BEFORE_COMMIT", "incremental, AFTER_COMMIT", "rewriting incremental, BEFORE_COMMIT",
        "rewriting incremental, AFTER_COMMIT", "base, BEFORE_COMMIT", "base, AFTER_COMMIT"})
    void theWarehouseConnectionDropsMidTransaction(String job, FlakyProxy.Cut cut, @TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        Object checkpointBefore = d.checkpoint();
        boolean rewriting = job.startsWith("rewriting");
        // A rewriting batch's events fall between the stored ones (five minutes after each), so that it rewrites them.
        d.raw.parquet(JULY_2, rewriting ? events("f", 20, D0 + DAY + 300_000_000L, 4, 2) : fresh("f"));
        Runnable run = job.equals("base") ? () -> d.base(NIGHTLY) : () -> d.incremental(INCREMENTAL);
        String outcome;
        try (FlakyProxy proxy = new FlakyProxy(TestWarehouse.port())) {
            d.jdbcUrl = proxy.jdbcUrl(TestWarehouse.jdbcUrl());
            // Armed once the rows are staged: the next COMMIT on the wire is the run's own.
            StageLog.observer = (stage, nanos) -> {
                if (stage.endsWith("stage warehouse rows")) {
                    proxy.arm(cut);
                }
            };
            try {
                if (cut == FlakyProxy.Cut.BEFORE_COMMIT) {
                    RuntimeException e = assertThrows(RuntimeException.class, run::run);
                    StageLog.observer = null;
                    assertEquals(1, proxy.cuts());
                    assertEquals(20, viewRows(d), "nothing of the failed run is visible");
                    assertEquals(checkpointBefore, d.checkpoint(), "the checkpoint did not move");
                    assertEquals(1, TestWarehouse.count("SELECT count(*) FROM " + d.t("processing_runs") + " WHERE status = 'succeeded'"),
                            "only the history's run committed");
                    outcome = "the run fails (" + firstLine(e) + "), nothing of it committed; the rerun commits: ";
                    run.run();
                } else {
                    run.run();
                    StageLog.observer = null;
                    assertEquals(1, proxy.cuts());
                    outcome = "COMMIT reached the server, its answer was lost: the run finds its own audit row on another connection and"
                            + " succeeds (no rerun needed): ";
                }
            } finally {
                StageLog.observer = null;
            }
        }
        d.jdbcUrl = TestWarehouse.jdbcUrl();
        outcome += d.assertExactlyOnce(40);
        if (rewriting) {
            assertTrue(TestWarehouse.count("SELECT count(*) FROM " + d.t("processing_runs") + " WHERE rewritten > 0") > 0, "the batch rewrote rows");
            assertTrue(d.incremental(INCREMENTAL).batches().isEmpty(), "a further run finds nothing new");
            IncrementalJobTest.assertLakeHoldsTheWarehouseRows(d);
            outcome += "; the lake holds the warehouse's rows, each once";
        } else if (job.equals("incremental")) {
            assertTrue(d.incremental(INCREMENTAL).batches().isEmpty(), "a further run finds nothing new");
            assertEquals(20, d.lake().read(TimelineLake.INCREMENTAL_TABLE).count(), "the lake holds the batch once");
        } else {
            assertEquals(40, d.lake().read(TimelineLake.BASE_TABLE).count(), "the lake holds each row once");
        }
        Reliability.record("warehouse", "connection drops " + (cut == FlakyProxy.Cut.BEFORE_COMMIT ? "before" : "after")
                + " COMMIT reaches the server (" + job + " job)", outcome);
    }

    // ---- the lake is unreachable ----

    @ParameterizedTest(name = "{0} job")
    @ValueSource(strings = {"incremental", "base"})
    void theLakeIsUnreachable(String job, @TempDir Path dir) throws Exception {
        S3Server s3 = S3Server.get().configure(SharedSpark.get());
        IncrementalJobTest.Deployment d = withHistory(dir, true);
        Object checkpointBefore = d.checkpoint();
        d.raw.parquet(JULY_2, fresh("f"));
        Runnable run = job.equals("base") ? () -> d.base(NIGHTLY) : () -> d.incremental(INCREMENTAL);

        s3.cutOff(SharedSpark.get());
        RuntimeException e;
        long t0 = System.nanoTime();
        try {
            e = assertThrows(RuntimeException.class, run::run);
        } finally {
            s3.restore(SharedSpark.get());
        }
        long failedAfter = (System.nanoTime() - t0) / 1_000_000_000L;
        assertEquals(20, viewRows(d), "nothing of the failed run is visible");
        assertEquals(checkpointBefore, d.checkpoint(), "the checkpoint did not move");
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_incremental")));

        run.run();
        String outcome = "the run fails after " + failedAfter + " s (" + firstLine(e) + "), nothing committed; once the lake is back,"
                + " the rerun commits: " + d.assertExactlyOnce(40);
        String table = job.equals("base") ? TimelineLake.BASE_TABLE : TimelineLake.INCREMENTAL_TABLE;
        assertEquals(job.equals("base") ? 40 : 20, d.lake().read(table).count(), "the lake holds each row once");
        Reliability.record("lake", "the lake's S3 endpoint is unreachable (" + job + " job)", outcome);
    }

    /**
     * The lake goes down in the middle of an incremental batch, after the batch's timeline is
     * computed: the lake write fails while the warehouse rows are staged beside it. The batch
     * commits nothing and leaves no staging table; the rerun commits it once.
     */
    @Test
    void theLakeGoesDownWhileAnIncrementalBatchWritesIt(@TempDir Path dir) throws Exception {
        S3Server s3 = S3Server.get().configure(SharedSpark.get());
        IncrementalJobTest.Deployment dep = withHistory(dir, true);
        Object checkpointBefore = dep.checkpoint();
        dep.raw.parquet(JULY_2, fresh("f"));
        List<String> stages = Collections.synchronizedList(new ArrayList<>());
        StageLog.observer = (stage, nanos) -> {
            stages.add(stage.replaceFirst("^batch [^:]+: ", ""));
            if (stage.endsWith(": compute timeline")) {
                try {
                    s3.cutOff(SharedSpark.get());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        RuntimeException e;
        try {
            e = assertThrows(RuntimeException.class, () -> dep.incremental(INCREMENTAL));
        } finally {
            StageLog.observer = null;
            s3.restore(SharedSpark.get());
        }
        assertTrue(stages.contains("write lake") && stages.contains("stage warehouse rows"),
                "the lake write failed while the rows were staged beside it: " + stages);
        assertEquals(20, viewRows(dep), "nothing of the failed batch is visible");
        assertEquals(checkpointBefore, dep.checkpoint(), "the checkpoint did not move");
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + dep.t("shipment_timeline_incremental")));
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM information_schema.tables WHERE table_schema = '" + dep.schema
                + "' AND table_name LIKE 'stg_%'"), "the staged rows' tables are dropped");

        dep.incremental(INCREMENTAL);
        String outcome = "the batch fails (" + firstLine(e) + "), nothing committed, no staging table left; once the lake is back,"
                + " the rerun commits: " + dep.assertExactlyOnce(40);
        assertEquals(20, dep.lake().read(TimelineLake.INCREMENTAL_TABLE).count(), "the lake holds the batch once");
        Reliability.record("lake", "the lake's S3 endpoint goes down while an incremental batch writes it", outcome);
    }

    // ---- bad files ----

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"corrupt.parquet", "events.csv", "truncated.jsonl.gz"})
    void aBadFileStopsTheRunAndMovingItAsideRecovers(String name, @TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        d.extra.add("incremental.max-files-per-trigger=100"); // the good and the bad file in one batch
        Object checkpointBefore = d.checkpoint();
        d.raw.parquet(JULY_2, fresh("f"));
        Path bad = d.raw.folder(JULY_2).resolve(name);
        switch (name) {
            case "corrupt.parquet" -> {
                byte[] garbage = new byte[4096];
                new Random(3).nextBytes(garbage);
                Files.write(bad, garbage);
            }
            case "events.csv" -> Files.writeString(bad, "event_id,shipment_id\nx,S0\n");
            default -> {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                try (GZIPOutputStream z = new GZIPOutputStream(b)) {
                    for (Event e : events("z", 300, D0 + DAY + 9 * 3_600_000_000L, 4, 4)) {
                        z.write((RawFolder.json(e) + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                }
                Files.write(bad, java.util.Arrays.copyOf(b.toByteArray(), b.size() / 2));
            }
        }
        RuntimeException e = assertThrows(RuntimeException.class, () -> d.incremental(INCREMENTAL));
        String named = InputFileException.findIn(e).orElseThrow(() -> new AssertionError("the error names no file", e));
        assertTrue(named.contains(name), named);
        assertEquals(20, viewRows(d), "nothing of the failed run is visible");
        assertEquals(checkpointBefore, d.checkpoint());

        Files.move(bad, bad.resolveSibling("_" + name)); // the runbook: a name starting with _ is ignored
        d.incremental(INCREMENTAL);
        String outcome = "the run stops naming the file (" + named.lines().findFirst().orElse(named) + "), nothing committed; after"
                + " renaming it to _" + name + " the rerun commits the good files: " + d.assertExactlyOnce(40);
        Reliability.record("input", "a " + (name.endsWith(".csv") ? "file with an unknown extension" : name.startsWith("corrupt")
                ? "corrupt Parquet file" : "truncated gzip file") + " arrives", outcome);
    }

    // ---- schema drift ----

    @Test
    void anExtraColumnIsIgnored(@TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        d.raw.parquet(JULY_2, fiveEvents("x", ", 'SCAN' AS event_type, 'IN_TRANSIT' AS status, 'L1' AS location_id, 'DHL' AS carrier_code"),
                "extra.parquet");
        d.raw.jsonLines(JULY_2, List.of("{\"event_id\":\"j1\",\"shipment_id\":\"S2\",\"event_timestamp\":\"2025-07-02T11:00:00Z\","
                + "\"status\":\"DELIVERED\",\"carrier_code\":\"UPS\",\"nested\":{\"a\":1}}"));
        d.incremental(INCREMENTAL);
        String outcome = "the extra column (Parquet and JSON) is ignored, the rows are timeline rows: " + d.assertExactlyOnce(26);
        Reliability.record("schema drift", "an extra column", outcome);
    }

    @Test
    void aMissingOptionalColumnReadsAsNull(@TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        d.raw.parquet(JULY_2, fiveEvents("o", ", 'IN_TRANSIT' AS status"), "no-optional.parquet");
        d.incremental(INCREMENTAL);
        assertEquals(5, TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_realtime")
                + " WHERE event_id LIKE 'o%' AND location_id IS NULL AND event_type IS NULL"));
        String outcome = "event_type, location_id and ingested_at read as null; the rows are timeline rows: " + d.assertExactlyOnce(25);
        Reliability.record("schema drift", "a missing optional column", outcome);
    }

    @Test
    void aMissingRequiredColumnQuarantinesItsRowsWithTheirContent(@TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        d.raw.parquet(JULY_2, fiveEvents("r", ""), "no-status.parquet");
        d.incremental(INCREMENTAL);
        List<Map<String, Object>> q = TestWarehouse.query("SELECT reason, raw_record FROM " + d.t("quarantined_events") + " ORDER BY event_id");
        assertEquals(5, q.size());
        assertTrue(q.stream().allMatch(r -> r.get("reason").equals("MISSING_STATUS")), q.toString());
        assertTrue(String.valueOf(q.get(0).get("raw_record")).contains("\"event_id\":\"r0\""), q.get(0).toString());
        String outcome = "its 5 rows are quarantined MISSING_STATUS with their content; " + d.assertExactlyOnce(20);
        Reliability.record("schema drift", "a missing required column (status)", outcome);
    }

    @Test
    void aColumnOfTheWrongTypeStopsTheRunAndAFixedFileRecovers(@TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        Object checkpointBefore = d.checkpoint();
        d.raw.parquet(JULY_2, fiveEvents("w", ", 'IN_TRANSIT' AS status").withColumn("event_timestamp",
                org.apache.spark.sql.functions.col("event_timestamp").cast("string")), "wrong-type.parquet");
        RuntimeException e = assertThrows(RuntimeException.class, () -> d.incremental(INCREMENTAL));
        String named = InputFileException.findIn(e).orElseThrow(() -> new AssertionError("the error names no file", e));
        assertTrue(named.contains("wrong-type.parquet"), named);
        assertEquals(20, viewRows(d));
        assertEquals(checkpointBefore, d.checkpoint());

        d.raw.parquet(JULY_2, fiveEvents("w", ", 'IN_TRANSIT' AS status"), "wrong-type.parquet"); // re-sent, fixed, under its name
        d.incremental(INCREMENTAL);
        String outcome = "the run stops naming the file (" + named.lines().findFirst().orElse(named) + "), nothing committed; the file"
                + " fixed in place is read by the rerun: " + d.assertExactlyOnce(25);
        Reliability.record("schema drift", "a column of the wrong type (event_timestamp as string, Parquet)", outcome);
    }

    // ---- batch sizes ----

    @Test
    void anEmptyBatchCommitsNothingAndMovesNothing(@TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        Object checkpointBefore = d.checkpoint();
        d.raw.parquet(JULY_2, SharedSpark.get().sql("SELECT 'e' AS event_id, 'S1' AS shipment_id, TIMESTAMP '2025-07-02 10:00:00' AS event_timestamp,"
                + " 'IN_TRANSIT' AS status").limit(0), "empty.parquet");
        d.raw.jsonLines(JULY_2, List.of("", "   "));
        IncrementalJob.RunResult r = d.incremental(INCREMENTAL);
        long read = r.batches().stream().mapToLong(b -> b.counts().read()).sum();
        assertEquals(0, read);
        assertEquals(checkpointBefore, d.checkpoint(), "the checkpoint stays");
        String outcome = r.batches().size() + " batch(es) of 0 rows (an empty Parquet file, a JSON file of blank lines): audit rows of"
                + " zeros, checkpoint unchanged; " + d.assertExactlyOnce(20);
        Reliability.record("batch size", "an empty batch", outcome);
    }

    @Test
    void aSingleEventBatchContinuesItsShipment(@TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        long before = TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_realtime") + " WHERE shipment_id = 'S1'");
        d.raw.jsonLines(JULY_2, List.of("{\"event_id\":\"one\",\"shipment_id\":\"S1\",\"event_timestamp\":\"2025-07-02T12:00:00.000001Z\","
                + "\"status\":\"DELIVERED\"}"));
        d.incremental(INCREMENTAL);
        assertEquals(before + 1, TestWarehouse.count("SELECT event_sequence FROM " + d.t("shipment_timeline_realtime")
                + " WHERE event_id = 'one'"));
        assertEquals(java.sql.Timestamp.from(Instant.parse("2025-07-02T12:00:00.000001Z")), d.checkpoint());
        String outcome = "the event continues its shipment at sequence " + (before + 1) + ", the checkpoint moves to it to the"
                + " microsecond; " + d.assertExactlyOnce(21);
        Reliability.record("batch size", "a batch of a single event", outcome);
    }

    // ---- a far-future timestamp ----

    @ParameterizedTest(name = "{0} job")
    @ValueSource(strings = {"incremental", "base"})
    void aFarFutureTimestampIsQuarantinedAndDoesNotMoveTheCheckpoint(String job, @TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        List<Event> fresh = fresh("f");
        d.raw.parquet(JULY_2, fresh);
        d.raw.jsonLines(JULY_2, List.of("{\"event_id\":\"future\",\"shipment_id\":\"S1\",\"event_timestamp\":\"2099-01-01T00:00:00Z\","
                + "\"status\":\"DELIVERED\"}"));
        if (job.equals("base")) {
            d.base(NIGHTLY);
        } else {
            d.incremental(INCREMENTAL);
        }
        long newest = fresh.stream().mapToLong(Event::ts).max().orElseThrow();
        assertEquals(java.sql.Timestamp.from(Instant.ofEpochSecond(newest / 1_000_000)), d.checkpoint(), "the newest real event");
        List<Map<String, Object>> q = TestWarehouse.query("SELECT reason, raw_record FROM " + d.t("quarantined_events"));
        assertEquals(1, q.size());
        assertEquals("FUTURE_TIMESTAMP", q.get(0).get("reason"));
        assertTrue(String.valueOf(q.get(0).get("raw_record")).contains("2099-01-01T00:00:00Z"));
        String outcome = "quarantined FUTURE_TIMESTAMP with its original line; the checkpoint stays at the newest real event; "
                + d.assertExactlyOnce(40);
        Reliability.record("input", "an event dated 2099 (" + job + " job)", outcome);
    }

    // ---- concurrent launches ----

    @Test
    void twoIncrementalLaunchesAndOneBaseLaunchAtOnce(@TempDir Path dir) throws Exception {
        IncrementalJobTest.Deployment d = withHistory(dir);
        d.extra.add("warehouse.lease.wait=\"3 minutes\"");
        d.raw.parquet(JULY_2, fresh("f").subList(0, 10));
        d.raw.parquet(JULY_2, fresh("f").subList(10, 20));
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        List<Thread> launches = new ArrayList<>();
        for (Runnable r : List.<Runnable>of(() -> d.incremental(INCREMENTAL), () -> d.incremental(INCREMENTAL), () -> d.base(NIGHTLY))) {
            launches.add(new Thread(() -> {
                try {
                    r.run();
                } catch (Throwable t) {
                    errors.add(t);
                }
            }));
        }
        launches.forEach(Thread::start);
        for (Thread t : launches) {
            t.join();
        }
        assertEquals(List.of(), errors, "with a long enough lease wait, all three succeed one after another");
        List<Map<String, Object>> holders = TestWarehouse.query("SELECT process_type, count(*) AS n FROM " + d.t("processing_runs")
                + " WHERE status = 'succeeded' AND rows_read IS NOT NULL GROUP BY process_type ORDER BY process_type");
        String outcome = "the lease serialises them (runs committed: " + holders.stream().map(h -> h.get("process_type") + " " + h.get("n"))
                .toList() + "); " + d.assertExactlyOnce(40);
        Reliability.record("concurrency", "two incremental launches and one base launch at the same moment", outcome);
    }
}
