package com.shipmenttimeline.jobs;

import static com.shipmenttimeline.jobs.IncrementalJobTest.D0;
import static com.shipmenttimeline.jobs.IncrementalJobTest.DAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.jobs.IncrementalJobTest.Deployment;
import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.testing.RawFolder;
import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.TestWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Contract section 5, "Nothing stored is lost": each hole the issue found, tried the way a user
 * would meet it, on a deployment of its own. A run that cannot keep the rule refuses before it
 * changes anything: no row, no audit row, no lake version, no checkpoint moves.
 */
class NothingIsLostTest {

    /** A typo such as {@code --as-of 2099-01-01} used to purge every stored row as past retention. */
    @Test
    void anAsOfPastTheClockAndTheToleranceIsRefusedBeforeAnythingChanges() throws Exception {
        Deployment d = deployment("as-of-typo");
        feed(d, 0, 4);
        d.base("--mode", "daily_base", "--as-of", at(4));
        Snapshot before = Snapshot.of(d);

        for (String[] args : List.of(new String[] {"--mode", "daily_base", "--as-of", "2099-01-01T00:00:00Z"},
                new String[] {"--mode", "daily_base", "--date", "2099-01-01"},
                new String[] {"--mode", "backfill", "--from", "2025-07-01", "--as-of", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).plusSeconds(25 * 3600).toString()})) {
            UsageException refused = assertThrows(UsageException.class, () -> d.base(args), String.join(" ", args));
            assertTrue(refused.getMessage().contains("is later than the clock") && refused.getMessage().contains("nothing was changed"),
                    refused.getMessage());
            assertEquals(before, Snapshot.of(d), String.join(" ", args));
        }
        UsageException refused = assertThrows(UsageException.class, () -> d.incremental("--as-of", "2099-01-01T00:00:00Z"));
        assertTrue(refused.getMessage().contains("is later than the clock"), refused.getMessage());
        assertEquals(before, Snapshot.of(d));

        // Within the tolerance is a time the jobs accept.
        d.incremental("--as-of", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).plusSeconds(3600).toString());
    }

    /** A {@code --date} in the past would replace the window's rows with what it reads, and it does not read the stored events after it. */
    @Test
    void aBaseRunWhoseDateLeavesStoredEventsUnreadIsRefusedAndPointsToBackfill() throws Exception {
        Deployment d = deployment("date-typo");
        feed(d, 0, 4);
        d.base("--mode", "daily_base", "--as-of", at(4));
        feed(d, 4, 9);
        d.incremental("--as-of", at(9));
        Snapshot before = Snapshot.of(d);

        UsageException refused = assertThrows(UsageException.class, () -> d.base("--mode", "daily_base", "--date", "2025-07-06"));
        assertTrue(refused.getMessage().contains("would leave stored events after 2025-07-07T00:00:00Z unread")
                && refused.getMessage().contains("--mode backfill --from 2025-06-26"), refused.getMessage());
        assertEquals(before, Snapshot.of(d));
        refused = assertThrows(UsageException.class, () -> d.base("--mode", "backfill", "--from", "2025-07-02", "--to", "2025-07-05"));
        assertTrue(refused.getMessage().contains("omit --to"), refused.getMessage());
        assertEquals(before, Snapshot.of(d));

        // The run the refusal points to keeps every stored event, and the next night's too.
        d.base("--mode", "backfill", "--from", "2025-06-26");
        d.assertExactlyOnce(EVENTS_BY_DAY * 9);
        d.base("--mode", "daily_base", "--as-of", at(9));
        d.assertExactlyOnce(EVENTS_BY_DAY * 9);
        d.assertEveryRunAddsUp();
    }

    /** Section 5 counts: an as_of inside the tolerance still purges by the clock's date, never by the later one. */
    @Test
    void theRetentionCutoffNeverPassesTheClock() throws Exception {
        Instant now = Instant.parse("2026-12-05T23:30:00Z");
        var settings = com.shipmenttimeline.jobs.config.Settings.load(null, List.of("retention.days=30"));
        assertEquals(Instant.parse("2026-11-05T00:00:00Z"), settings.retentionCutoff(now.plusSeconds(3600), now).orElseThrow(),
                "as_of an hour after the clock, on the next day");
        assertEquals(Instant.parse("2026-11-04T00:00:00Z"), settings.retentionCutoff(now.minusSeconds(86_400), now).orElseThrow(),
                "an earlier as_of keeps its own, earlier cutoff");
    }

    /**
     * One NUL in one event id used to fail every incremental run from then on (PostgreSQL's COPY refuses
     * the byte while staging the batch's keys): the good events of that file and of every later one never
     * reached the view. Now the row is quarantined MALFORMED naming the column, and the rest goes in.
     */
    @Test
    void aNulInAnEventIdIsQuarantinedAndStallsNothing() throws Exception {
        Deployment d = deployment("nul-id");
        feed(d, 0, 3);
        d.base("--mode", "daily_base", "--as-of", at(3));
        LocalDate day = LocalDate.parse("2025-07-04");
        String ts = "2025-07-04T10:00:00Z";
        d.raw.jsonLines(day, List.of(
                "{\"event_id\":\"good-1\",\"shipment_id\":\"S0\",\"event_timestamp\":\"" + ts + "\",\"status\":\"IN_TRANSIT\"}",
                "{\"event_id\":\"bad\\u0000id\",\"shipment_id\":\"S1\",\"event_timestamp\":\"" + ts + "\",\"status\":\"IN_TRANSIT\"}",
                "{\"event_id\":\"raw-nul\",\"shipment_id\":\"S1\",\"event_timestamp\":\"" + ts + "\",\"status\":\"IN\u0000TRANSIT\"}"));
        var first = d.incremental("--as-of", at(5));
        d.raw.jsonLines(day, List.of("{\"event_id\":\"good-2\",\"shipment_id\":\"S2\",\"event_timestamp\":\"" + ts + "\",\"status\":\"DELIVERED\"}"));
        d.incremental("--as-of", at(5));

        assertEquals(1, first.batches().size());
        d.assertExactlyOnce(EVENTS_BY_DAY * 3 + 2);
        List<Map<String, Object>> q = TestWarehouse.query("SELECT reason, reason_detail, event_id, shipment_id, raw_record FROM "
                + d.t("quarantined_events") + " ORDER BY raw_record");
        assertEquals(2, q.size(), q.toString());
        assertEquals("MALFORMED", q.get(0).get("reason"));
        assertEquals("event_id holds a NUL character (U+0000), which the warehouse cannot store", q.get(0).get("reason_detail"));
        assertEquals(null, q.get(0).get("event_id"), "an id the warehouse cannot store is left null; the raw record keeps it");
        assertEquals("S1", q.get(0).get("shipment_id"));
        assertTrue(((String) q.get(0).get("raw_record")).contains("bad\\u0000id"), q.get(0).toString());
        assertEquals("MALFORMED", q.get(1).get("reason"), "a raw NUL byte is not JSON");
        assertTrue(((String) q.get(1).get("raw_record")).contains("IN\\u0000TRANSIT"), "stored with the NUL written out: " + q.get(1));
        d.assertEveryRunAddsUp();
    }

    /**
     * A base run that loses its lease after its lake write may not restore the lake (the new holder may
     * have written it), so the lake is ahead of the warehouse: the next run, an incremental one here,
     * puts it back before it writes, and the lake holds the warehouse's rows after it and after the
     * next base run. (Before, the incremental run appended beside the dead run's base rows.)
     */
    @Test
    void aLakeLeftAheadOfTheWarehouseIsPutBackByTheNextRun() throws Exception {
        Deployment d = deployment("lake-ahead");
        feed(d, 0, 3);
        d.base("--mode", "daily_base", "--as-of", at(3));
        feed(d, 3, 5);
        d.incremental("--as-of", at(5));
        IncrementalJobTest.assertLakeHoldsTheWarehouseRows(d);
        String lease = d.t("timeline_lease");
        com.shipmenttimeline.jobs.run.RunPoints.install(point -> {
            if (point.equals(com.shipmenttimeline.jobs.run.RunPoints.AFTER_LAKE_WRITE)) {
                TestWarehouse.execute("UPDATE " + lease + " SET holder_run_id = 'another-run', expires_at = now() + interval '1 hour'");
                throw new IllegalStateException("the run stalls and dies after its lake write");
            }
        });
        try {
            assertThrows(IllegalStateException.class, () -> d.base("--mode", "daily_base", "--as-of", at(5)));
        } finally {
            com.shipmenttimeline.jobs.run.RunPoints.install(null);
        }
        assertThrows(AssertionError.class, () -> IncrementalJobTest.assertLakeHoldsTheWarehouseRows(d),
                "the lake is ahead: the dead run could not put it back without the lease");
        TestWarehouse.execute("UPDATE " + lease + " SET holder_run_id = NULL");

        feed(d, 5, 6);
        d.incremental("--as-of", at(6));
        IncrementalJobTest.assertLakeHoldsTheWarehouseRows(d);
        d.base("--mode", "daily_base", "--as-of", at(6));
        IncrementalJobTest.assertLakeHoldsTheWarehouseRows(d);
        d.assertExactlyOnce(EVENTS_BY_DAY * 6);
        d.assertEveryRunAddsUp();
    }

    // ---------------------------------------------------------------------------------------------

    static final int EVENTS_BY_DAY = 6;

    static Deployment deployment(String name) throws java.io.IOException {
        Deployment d = new Deployment(Files.createTempDirectory(Path.of("target"), name));
        d.raw.reference(4, Instant.parse("2025-07-20T00:00:00Z"));
        d.extra.add("incremental.max-files-per-trigger=100");
        return d;
    }

    /** Days [from, to) after D0: each day, three shipments get two events each, in one file in that day's folder. */
    static void feed(Deployment d, int from, int to) {
        Map<LocalDate, List<Event>> byDate = new TreeMap<>();
        for (int day = from; day < to; day++) {
            for (int s = 0; s < EVENTS_BY_DAY; s++) {
                long ts = D0 + day * DAY + (s + 1) * 3_600_000_000L;
                byDate.computeIfAbsent(RawFolder.dateOf(ts), k -> new ArrayList<>())
                        .add(new Event("S" + (s % 3), "d" + day + "-" + s, ts, s % 2 == 0 ? "PICKED_UP" : "IN_TRANSIT", "L1", null));
            }
        }
        byDate.forEach(d.raw::parquet);
    }

    /** UTC midnight, this many days after D0 (2025-07-01). */
    static String at(int day) {
        return Instant.ofEpochSecond((D0 + day * DAY) / 1_000_000).toString();
    }

    /** What a refused run must not change: the view's rows, the audit rows, the checkpoint, the lake's versions. */
    record Snapshot(List<Map<String, Object>> view, long runs, Object checkpoint, long baseVersion, long incrementalVersion) {
        static Snapshot of(Deployment d) {
            return new Snapshot(TestWarehouse.query("SELECT * FROM " + d.t("shipment_timeline_realtime") + " ORDER BY event_id"),
                    TestWarehouse.count("SELECT count(*) FROM " + d.t("processing_runs")), d.checkpoint(),
                    d.lake().version(TimelineLake.BASE_TABLE), d.lake().version(TimelineLake.INCREMENTAL_TABLE));
        }
    }
}
