package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.cli.CommandLine;
import com.shipmenttimeline.jobs.run.RunRequest;
import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.jobs.run.DailyBaseJob;
import com.shipmenttimeline.jobs.source.InputFileException;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.jobs.warehouse.WarehouseException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.ReferenceTimeline;
import com.shipmenttimeline.testing.SharedSpark;
import com.shipmenttimeline.testing.TestWarehouse;
import com.shipmenttimeline.testing.TimelineFrames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nightly base job end to end: committed sample files, real Delta, real PostgreSQL. */
class DailyBaseJobTest {
    static final Path SAMPLE = Path.of("src/test/resources/sample/raw");

    @TempDir
    Path dir;

    String schema;

    @BeforeEach
    void freshSchema() {
        schema = TestWarehouse.freshSchema();
    }

    Settings settings(Path raw, String... more) {
        List<String> o = new ArrayList<>(TestWarehouse.overrides(schema));
        o.add("paths.raw=\"" + raw + "\"");
        o.add("paths.lake=\"" + dir.resolve("lake") + "\"");
        o.addAll(List.of(more));
        return Settings.load(null, o);
    }

    DailyBaseJob.RunResult base(Settings s, String... args) {
        try (Warehouse w = TestWarehouse.open(schema)) {
            boolean modeGiven = List.of(args).contains("--mode");
            String[] all = Stream.concat(modeGiven ? Stream.of() : Stream.of("--mode", "daily_base"), Stream.of(args)).toArray(String[]::new);
            return new DailyBaseJob(SharedSpark.get(), s, w, Clock.systemUTC()).run(CommandLine.parse(all).request());
        }
    }

    String t(String table) {
        return schema + "." + table;
    }

    /** The view's rows, with the fields the reference recomputes; the state table is checked against the stored rows first. */
    List<Map<String, Object>> view() {
        TestWarehouse.assertStateMatchesRows(schema);
        return TestWarehouse.query("SELECT * FROM " + t("shipment_timeline_realtime") + " ORDER BY shipment_id, event_timestamp, event_id");
    }

    /** Recomputes section 4 over the view's own rows and compares every field. */
    static void assertViewMatchesReference(List<Map<String, Object>> rows) {
        List<ReferenceTimeline.Event> events = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            Timestamp promise = (Timestamp) r.get("promised_delivery_timestamp");
            events.add(new ReferenceTimeline.Event((String) r.get("shipment_id"), (String) r.get("event_id"),
                    TimelineFrames.toMicros((Timestamp) r.get("event_timestamp")), (String) r.get("status"), (String) r.get("location_id"),
                    promise == null ? null : TimelineFrames.toMicros(promise)));
        }
        Map<String, ReferenceTimeline.Fields> expected = ReferenceTimeline.compute(events);
        for (Map<String, Object> r : rows) {
            ReferenceTimeline.Fields f = expected.get((String) r.get("event_id"));
            String id = (String) r.get("event_id");
            assertEquals(f.sequence(), ((Number) r.get("event_sequence")).longValue(), id);
            assertEquals(f.timeSincePrev(), r.get("time_since_prev_event_seconds"), id);
            assertEquals(f.cumulativeHours(), (double) r.get("cumulative_transit_hours"), 1e-9, id);
            assertEquals(f.prevStatus(), r.get("prev_status"), id);
            assertEquals(f.prevLocation(), r.get("prev_location_id"), id);
            assertEquals(f.locationChange(), r.get("is_location_change"), id);
            assertEquals(f.statusStart(), TimelineFrames.toMicros((Timestamp) r.get("status_start_timestamp")), id);
            assertEquals(f.timeInStatus(), (double) r.get("time_in_status_seconds"), 1e-9, id);
            assertEquals(f.prevStatusDuration(), r.get("prev_status_duration_seconds"), id);
            assertEquals(f.hoursToPromise(), r.get("hours_to_promise"), id);
            assertEquals(f.pastPromise(), r.get("is_past_promise"), id);
        }
    }

    static void assertCountsAddUp(Map<String, Object> run) {
        long read = (long) run.get("rows_read");
        long sum = (long) run.get("timeline_rows") + (long) run.get("quarantined") + (long) run.get("duplicates")
                + (long) run.get("already_processed") + (long) run.get("late");
        assertEquals(read, sum, "read = timeline + quarantined + duplicates + already_processed + late: " + run);
        long byReason = 0;
        for (String k : run.keySet()) {
            if (k.startsWith("quarantined_")) {
                byReason += (long) run.get(k);
            }
        }
        assertEquals((long) run.get("quarantined"), byReason);
    }

    @Test
    void aBaseRunOverTheSampleCommitsTheViewTheCheckpointAndCountsThatAddUp() {
        DailyBaseJob.RunResult r = base(settings(SAMPLE), "--date", "2025-07-12");
        assertEquals("succeeded", r.record().status());

        Map<String, Object> run = TestWarehouse.query("SELECT * FROM " + t("processing_runs")).get(0);
        assertCountsAddUp(run);
        assertEquals(Timestamp.from(Instant.parse("2025-07-02T00:00:00Z")), run.get("window_start"));
        assertTrue((long) run.get("quarantined") > 0 && (long) run.get("duplicates") > 0, "the sample carries defects: " + run);
        assertTrue((long) run.get("unknown_location") > 0, "the sample has unknown locations");
        // What Spark measured of the run's tasks, and the cost per row read (issue: the metrics the document lists).
        assertTrue((double) run.get("spark_executor_cpu_seconds") > 0, "executor CPU time: " + run);
        assertTrue((long) run.get("spark_shuffle_write_bytes") > 0, "the run shuffles by shipment: " + run);
        assertTrue((long) run.get("spark_peak_task_memory_bytes") > 0, "its window sorts in memory: " + run);
        assertEquals((double) run.get("estimated_cost_usd") / (long) run.get("rows_read"), (double) run.get("cost_per_event_usd"), 1e-15);

        List<Map<String, Object>> view = view();
        assertEquals((long) run.get("timeline_rows"), view.size());
        assertEquals(view.size(), TestWarehouse.count("SELECT count(DISTINCT event_id) FROM " + t("shipment_timeline_realtime")));
        assertEquals(view.size(), TestWarehouse.count("SELECT count(*) FROM " + t("shipment_timeline_base")));
        assertTrue(view.stream().allMatch(v -> "daily_base".equals(v.get("process_type")) && v.get("incremental_batch_id") == null));
        assertTrue(view.stream().noneMatch(v -> ((Timestamp) v.get("event_timestamp")).toInstant().isBefore(Instant.parse("2025-07-02T00:00:00Z"))));
        assertViewMatchesReference(view);

        Object checkpoint = TestWarehouse.query("SELECT last_processed_timestamp FROM " + t("processing_checkpoints")).get(0)
                .get("last_processed_timestamp");
        assertEquals(TestWarehouse.query("SELECT max(event_timestamp) AS m FROM " + t("shipment_timeline_realtime")).get(0).get("m"), checkpoint);

        assertEquals((long) run.get("quarantined"), TestWarehouse.count("SELECT count(*) FROM " + t("quarantined_events")));
        Map<String, Object> malformed = TestWarehouse.query("SELECT * FROM " + t("quarantined_events") + " WHERE reason = 'MALFORMED' LIMIT 1").get(0);
        assertTrue(((String) malformed.get("source_file")).contains(".jsonl"));
        assertNotNull(malformed.get("raw_record"));
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + t("quarantined_events") + " WHERE raw_record IS NULL"),
                "every quarantined row keeps its original content, Parquet rows as JSON");
        assertTrue(TestWarehouse.count("SELECT count(*) FROM " + t("quarantined_events") + " WHERE source_file LIKE '%.parquet'") > 0);
        long knownWithName = TestWarehouse.count("SELECT count(*) FROM " + t("shipment_timeline_realtime")
                + " WHERE location_id LIKE 'LOC-___' AND location_name IS NOT NULL");
        assertEquals(TestWarehouse.count("SELECT count(*) FROM " + t("shipment_timeline_realtime") + " WHERE location_id LIKE 'LOC-___'"),
                knownWithName);
        assertEquals((long) run.get("unknown_location"),
                TestWarehouse.count("SELECT count(*) FROM " + t("shipment_timeline_realtime") + " WHERE location_id LIKE 'LOC-X%'"));

        // The run's metrics sit in its audit row too.
        double seconds = (double) run.get("duration_seconds");
        assertEquals((double) (long) run.get("quarantined") / (long) run.get("rows_read"), (double) run.get("error_rate"), 1e-12);
        assertEquals((long) run.get("rows_read") * 60.0 / seconds, (double) run.get("throughput_per_minute"), 1e-6);
        assertEquals(seconds / 3600.0 * 2.5, (double) run.get("estimated_cost_usd"), 1e-9, "at the default 2.5 USD an hour");
        assertEquals((((Timestamp) run.get("finished_at")).getTime() - ((Timestamp) checkpoint).getTime()) / 1000.0,
                (double) run.get("processing_lag_seconds"), 1e-3);
        assertEquals(0L, run.get("missing_events"), "no incremental run has stored late events");
    }

    @Test
    void aBackfillWithToReadsUpToThatDayAndRefusesToCutAStoredTimelineShort() {
        DailyBaseJob.RunResult r = base(settings(SAMPLE), "--mode", "backfill", "--from", "2025-07-01", "--to", "2025-07-05");
        Map<String, Object> run = TestWarehouse.query("SELECT * FROM " + t("processing_runs")).get(0);
        assertEquals("backfill", run.get("process_type"));
        assertEquals(Timestamp.from(Instant.parse("2025-07-06T00:00:00Z")), run.get("as_of"), "as of the end of --to");
        assertCountsAddUp(run);
        assertTrue(TestWarehouse.count("SELECT count(*) FROM " + t("processed_files") + " WHERE path LIKE '%ingest_date=2025-07-06%'") == 0,
                "no file after --to is read");
        assertTrue(TestWarehouse.count("SELECT count(*) FROM " + t("processed_files") + " WHERE path LIKE '%ingest_date=2025-07-05%'") > 0);
        assertTrue(view().stream().allMatch(v -> "backfill".equals(v.get("process_type"))));
        assertViewMatchesReference(view());
        assertEquals("succeeded", r.record().status());

        base(settings(SAMPLE), "--date", "2025-07-12");
        UsageException e = assertThrows(UsageException.class,
                () -> base(settings(SAMPLE), "--mode", "backfill", "--from", "2025-07-01", "--to", "2025-07-05"));
        assertTrue(e.getMessage().contains("ends before the stored timeline"), e.getMessage());
    }

    @Test
    void aPlainRealtimeViewIsAlwaysCurrentAndARunReplacesAViewOfTheOtherKind() {
        Settings materialized = settings(SAMPLE, "warehouse.realtime-view=materialized");
        try (Warehouse w = Warehouse.open(materialized.warehouse())) {
            new DailyBaseJob(SharedSpark.get(), materialized, w, Clock.systemUTC()).run(CommandLine.parse("--mode daily_base --date 2025-07-12".split(" ")).request());
        }
        assertEquals(1, TestWarehouse.count("SELECT count(*) FROM pg_matviews WHERE schemaname = '" + schema
                + "' AND matviewname = 'shipment_timeline_realtime'"), "materialized as configured");
        Settings plain = settings(SAMPLE);
        try (Warehouse w = Warehouse.open(plain.warehouse())) {
            new DailyBaseJob(SharedSpark.get(), plain, w, Clock.systemUTC()).run(CommandLine.parse("--mode daily_base --date 2025-07-12".split(" ")).request());
        }
        assertEquals(1, TestWarehouse.count("SELECT count(*) FROM pg_views WHERE schemaname = '" + schema + "' AND viewname = 'shipment_timeline_realtime'"));
        long rows = TestWarehouse.count("SELECT count(*) FROM " + t("shipment_timeline_base"));
        assertEquals(rows, TestWarehouse.count("SELECT count(*) FROM " + t("shipment_timeline_realtime")));
        TestWarehouse.execute("DELETE FROM " + t("shipment_timeline_base") + " WHERE event_id IN (SELECT event_id FROM "
                + t("shipment_timeline_base") + " ORDER BY event_id LIMIT 5)");
        assertEquals(rows - 5, TestWarehouse.count("SELECT count(*) FROM " + t("shipment_timeline_realtime")), "no refresh needed");

        try (Warehouse w = Warehouse.open(materialized.warehouse())) {
            new DailyBaseJob(SharedSpark.get(), materialized, w, Clock.systemUTC()).run(
                    CommandLine.parse("--mode daily_base --date 2025-07-12 --rebuild".split(" ")).request());
        }
        assertEquals(1, TestWarehouse.count("SELECT count(*) FROM pg_matviews WHERE schemaname = '" + schema
                + "' AND matviewname = 'shipment_timeline_realtime'"), "materialized again");
        assertEquals(rows, TestWarehouse.count("SELECT count(*) FROM " + t("shipment_timeline_realtime")));
    }

    @Test
    void twoBaseRunsOnDifferentDaysKeepSequencesAcrossTheWindowStart() {
        Settings s = settings(SAMPLE, "base.window-days=3");
        base(s, "--as-of", "2025-07-09T06:00:00Z");                // window from 07-06
        Set<String> firstRunEvents = new TreeSet<>();
        TestWarehouse.query("SELECT event_id FROM " + t("shipment_timeline_base")).forEach(r -> firstRunEvents.add((String) r.get("event_id")));
        base(s, "--as-of", "2025-07-12T06:00:00Z");                // window from 07-09

        List<Map<String, Object>> view = view();
        Instant secondWindow = Instant.parse("2025-07-09T00:00:00Z");
        Map<String, long[]> spans = new HashMap<>();
        for (Map<String, Object> v : view) {
            boolean before = ((Timestamp) v.get("event_timestamp")).toInstant().isBefore(secondWindow);
            spans.computeIfAbsent((String) v.get("shipment_id"), k -> new long[2])[before ? 0 : 1]++;
            if (before) {
                assertTrue(firstRunEvents.contains((String) v.get("event_id")), "history before the window start is frozen");
            }
        }
        long crossing = spans.values().stream().filter(c -> c[0] > 0 && c[1] > 0).count();
        assertTrue(crossing > 10, "shipments that cross the second window's start: " + crossing);
        assertViewMatchesReference(view);
        Map<String, Object> second = TestWarehouse.query("SELECT * FROM " + t("processing_runs") + " ORDER BY started_at DESC").get(0);
        assertCountsAddUp(second);
        assertTrue((long) second.get("quarantined_too_late") > 0, "events ingested in the window but older than its start");
    }

    /**
     * Contract section 5: a base run reads the two folder days before its window, so that an event
     * filed under the day before its own (a producer's local date, a clock ahead) is not deleted with
     * the window it falls in and never read again. Of those folders only the window's events count.
     */
    @Test
    void aBaseRunReadsTheTwoFolderDaysBeforeItsWindowSoAnEventFiledTheDayBeforeIsKept() throws IOException {
        IncrementalJobTest.Deployment d = new IncrementalJobTest.Deployment(dir.resolve("lookback"));
        d.extra.add("base.window-days=2");
        d.raw.reference(1, Instant.parse("2025-07-04T00:00:00Z"));
        long d0 = IncrementalJobTest.D0; // 2025-07-01
        long hour = 3_600_000_000L;
        d.raw.parquet(java.time.LocalDate.parse("2025-07-01"), List.of(
                new ReferenceTimeline.Event("S0", "a1", d0 + hour, "PICKED_UP", "L1", null),
                new ReferenceTimeline.Event("S0", "a2", d0 + 2 * hour, "IN_TRANSIT", "L1", null),
                new ReferenceTimeline.Event("S0", "a3", d0 + IncrementalJobTest.DAY + 300_000_000L, "IN_TRANSIT", "L2", null))); // 07-02 00:05
        d.base("--mode", "daily_base", "--date", "2025-07-02"); // window from 06-30
        d.base("--mode", "daily_base", "--date", "2025-07-04"); // window from 07-02: folder 07-01 is read for a3 only

        List<Map<String, Object>> rows = TestWarehouse.query("SELECT event_id, event_sequence FROM " + d.t("shipment_timeline_realtime")
                + " ORDER BY event_sequence");
        assertEquals(List.of("a1", "a2", "a3"), rows.stream().map(r -> r.get("event_id")).toList(), "nothing stored is lost");
        assertEquals(List.of(1L, 2L, 3L), rows.stream().map(r -> r.get("event_sequence")).toList());
        Map<String, Object> second = TestWarehouse.query("SELECT * FROM " + d.t("processing_runs") + " ORDER BY started_at DESC").get(0);
        assertEquals(1L, ((Number) second.get("rows_read")).longValue(), "of the earlier folder only the event at or after the window start counts");
        assertEquals(0L, ((Number) second.get("quarantined_too_late")).longValue(), "the older events there are history, neither read nor counted");
        assertEquals(1L, ((Number) second.get("files_read")).longValue());
        d.assertEveryRunAddsUp();
        TestWarehouse.assertStateMatchesRows(d.schema);
    }

    @Test
    void rerunningTheSameBaseRunGivesTheSameWarehouse() {
        Settings s = settings(SAMPLE);
        base(s, "--date", "2025-07-12");
        String rows = "SELECT * FROM " + t("shipment_timeline_realtime") + " ORDER BY event_id";
        List<Map<String, Object>> first = TestWarehouse.query(rows);
        Object checkpoint = TestWarehouse.query("SELECT last_processed_timestamp FROM " + t("processing_checkpoints")).get(0);
        base(s, "--date", "2025-07-12");
        List<Map<String, Object>> second = TestWarehouse.query(rows);
        first.forEach(m -> m.remove("processed_timestamp"));
        second.forEach(m -> m.remove("processed_timestamp"));
        assertEquals(first, second);
        assertEquals(checkpoint, TestWarehouse.query("SELECT last_processed_timestamp FROM " + t("processing_checkpoints")).get(0));
        assertEquals(2, TestWarehouse.count("SELECT count(*) FROM " + t("processing_runs") + " WHERE status = 'succeeded'"));
    }

    @Test
    void anUnknownFileFailsTheRunCommitsNothingAndAuditsTheFailure() throws IOException {
        Path raw = copySample();
        Files.writeString(raw.resolve("shipment_events/ingest_date=2025-07-10/extract.csv"), "a,b\n");
        assertThrows(InputFileException.class, () -> base(settings(raw), "--date", "2025-07-12"));
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + t("shipment_timeline_base")));
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + t("processing_checkpoints")));
        Map<String, Object> run = TestWarehouse.query("SELECT * FROM " + t("processing_runs")).get(0);
        assertEquals("failed", run.get("status"));
        assertTrue(((String) run.get("error_message")).contains("extract.csv"), (String) run.get("error_message"));
    }

    @Test
    void aFailedCommitLeavesWarehouseAndLakeAsTheyWere() {
        Settings s = settings(SAMPLE);
        base(s, "--date", "2025-07-11");
        List<Map<String, Object>> before = TestWarehouse.query("SELECT * FROM " + t("shipment_timeline_base") + " ORDER BY event_id");
        long lakeVersion = new TimelineLake(SharedSpark.get(), s.paths().lake()).version(TimelineLake.BASE_TABLE);
        // The warehouse refuses the next run's quarantine insert from inside its transaction: after the
        // base's window table was swapped, so the rollback has the swap's DDL to undo too.
        TestWarehouse.execute("CREATE FUNCTION " + schema + ".refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$ LANGUAGE plpgsql");
        TestWarehouse.execute("CREATE TRIGGER refuse BEFORE INSERT ON " + t("quarantined_events") + " FOR EACH STATEMENT EXECUTE FUNCTION "
                + schema + ".refuse()");
        List<Map<String, Object>> window = TestWarehouse.query("SELECT * FROM " + t("shipment_timeline_base_window") + " ORDER BY event_id");
        assertFalse(window.isEmpty());

        assertThrows(WarehouseException.class, () -> base(s, "--date", "2025-07-12"));
        assertEquals(before, TestWarehouse.query("SELECT * FROM " + t("shipment_timeline_base") + " ORDER BY event_id"));
        assertEquals(window, TestWarehouse.query("SELECT * FROM " + t("shipment_timeline_base_window") + " ORDER BY event_id"),
                "the previous window table is back in place");
        assertEquals(1, TestWarehouse.count("SELECT count(*) FROM " + t("processing_runs") + " WHERE status = 'failed'"));
        TimelineLake lake = new TimelineLake(SharedSpark.get(), s.paths().lake());
        assertTrue(lake.version(TimelineLake.BASE_TABLE) > lakeVersion, "the lake was written, then restored");
        assertEquals(before.size(), lake.read(TimelineLake.BASE_TABLE).count());
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM information_schema.tables WHERE table_schema = '" + schema
                + "' AND table_name LIKE 'stg_%'"), "staging tables are dropped");
    }

    Path copySample() throws IOException {
        Path target = dir.resolve("raw");
        try (Stream<Path> files = Files.walk(SAMPLE)) {
            for (Path p : files.toList()) {
                Path to = target.resolve(SAMPLE.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return target;
    }
}
