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
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Retention through the jobs (docs/decisions/0005-retention-summaries.md): two deployments take in the same raw
 * files by the same runs, one with {@code retention.days = 12}, the other keeping everything. The
 * nightly runs of the first purge; every row it keeps equals the other's field by field, the
 * shipments whose old rows went go on numbering from their stored rows (never from 1), in the base
 * runs and in the incremental runs after a purge, and its state table equals the other's.
 */
class RetentionTest {
    private static final String[] STATUSES = {"PICKED_UP", "IN_TRANSIT", "ARRIVED_AT_FACILITY", "OUT_FOR_DELIVERY", "DELIVERED"};
    private static final String[] LOCATIONS = {"L1", "L2", "L3", null};

    @Test
    void aShipmentWhoseOldRowsArePurgedGoesOnFromItsStoredRows() throws Exception {
        List<Event> events = events(new Random(20_261_204), 14);
        Deployment purging = deployment("retention-on", "retention.days=12");
        Deployment keeping = deployment("retention-off", "retention.days=0");
        for (Deployment d : List.of(purging, keeping)) {
            feed(d, events, 0, 12);
            d.base("--mode", "backfill", "--from", "2025-07-01", "--as-of", at(12));
            feed(d, events, 12, 26);
            d.incremental("--as-of", at(26));
            d.base("--mode", "daily_base", "--as-of", at(26)); // purges before day 14
            feed(d, events, 26, 40);
            d.incremental("--as-of", at(40));
            d.base("--mode", "daily_base", "--as-of", at(40)); // purges before day 28
            feed(d, events, 40, 42);
            d.incremental("--as-of", at(42));
        }
        Instant cutoff = Instant.parse(at(28));

        keeping.assertExactlyOnce(events.size());
        List<Map<String, Object>> all = keeping.timeline();
        List<Map<String, Object>> kept = purging.timeline(); // checks the state table against the rows and the summaries
        List<Map<String, Object>> expected = all.stream().filter(r -> !((Timestamp) r.get("event_timestamp")).toInstant().isBefore(cutoff)).toList();
        assertTrue(expected.size() < all.size(), "some rows are older than the cutoff");
        IncrementalJobTest.assertSameRows(expected, kept, "the rows retention keeps");
        assertEquals(TestWarehouse.query("SELECT * FROM " + keeping.t("shipment_timeline_state") + " ORDER BY shipment_id"),
                TestWarehouse.query("SELECT * FROM " + purging.t("shipment_timeline_state") + " ORDER BY shipment_id"),
                "the state of every shipment, those purged whole too");

        // Shipments that lost rows and still got new ones numbered on, in the last base run and after it.
        Map<Object, Long> firstKeptSequence = new TreeMap<>();
        for (Map<String, Object> r : kept) {
            firstKeptSequence.merge(r.get("shipment_id"), ((Number) r.get("event_sequence")).longValue(), Math::min);
        }
        long continued = firstKeptSequence.values().stream().filter(s -> s > 1).count();
        assertTrue(continued >= 3, "shipments continuing after a purge: " + firstKeptSequence);
        assertTrue(TestWarehouse.count("SELECT count(*) FROM " + purging.t("shipment_timeline_incremental") + " i JOIN "
                + purging.t("shipment_timeline_purged") + " p ON p.shipment_id = i.shipment_id") > 0,
                "an incremental run after the purge continued a shipment that lost rows");
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + purging.t("shipment_timeline_realtime")
                + " WHERE event_timestamp < '" + Timestamp.from(cutoff) + "'"));

        // The lake loses the same partitions; the other keeps them.
        LocalDate cutoffDate = LocalDate.parse("2025-07-29");
        assertTrue(!oldestLakeDate(purging).isBefore(cutoffDate), "the lake's oldest partition after the purges: " + oldestLakeDate(purging));
        assertTrue(oldestLakeDate(keeping).isBefore(cutoffDate));

        // A backfill before the cutoff would rebuild rows that are gone.
        UsageException refused = assertThrows(UsageException.class,
                () -> purging.base("--mode", "backfill", "--from", "2025-07-20", "--as-of", at(42)));
        assertTrue(refused.getMessage().contains("before the retention cutoff 2025-07-31"), refused.getMessage());
    }

    @Test
    void aPurgeThatFailsLeavesTheNightsCommitStandingAndTheNextRunPurges() throws Exception {
        List<Event> events = events(new Random(7), 8);
        Deployment d = deployment("retention-failing", "retention.days=11");
        feed(d, events, 0, 11);
        d.base("--mode", "backfill", "--from", "2025-07-01", "--as-of", at(11)); // its cutoff is 2025-07-01: not refused
        feed(d, events, 11, 14);
        Instant cutoff = Instant.parse(at(3)); // the night of day 14 (2025-07-15) purges before 2025-07-04
        String oldRows = "SELECT count(*) FROM " + d.t("shipment_timeline_realtime") + " WHERE event_timestamp < '" + Timestamp.from(cutoff) + "'";
        long old = TestWarehouse.count(oldRows);
        assertTrue(old > 0, "rows before the cutoff to purge");
        TestWarehouse.execute("CREATE FUNCTION " + d.schema + ".refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION"
                + " 'purge refused by the test'; END $$");
        TestWarehouse.execute("CREATE TRIGGER refuse BEFORE INSERT ON " + d.t("shipment_timeline_purged") + " FOR EACH ROW EXECUTE FUNCTION "
                + d.schema + ".refuse()");

        var night = d.base("--mode", "daily_base", "--as-of", at(14));
        assertEquals("succeeded", night.record().status(), "the purge's failure does not fail the run");
        assertEquals(old, TestWarehouse.count(oldRows), "the purge rolled back whole");
        assertEquals(1, TestWarehouse.count("SELECT count(*) FROM " + d.t("processing_runs") + " WHERE run_id = '" + night.record().runId()
                + "' AND status = 'succeeded'"), "one audit row, the run's own");
        assertTrue(d.lake().read(TimelineLake.BASE_TABLE).count() > 0 && night.lakeVersion() >= 0, "the night's lake write stands");
        TestWarehouse.assertStateMatchesRows(d.schema);

        TestWarehouse.execute("DROP TRIGGER refuse ON " + d.t("shipment_timeline_purged"));
        d.base("--mode", "daily_base", "--as-of", at(14));
        assertEquals(0, TestWarehouse.count(oldRows), "the next run purged");
        assertTrue(TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_purged")) > 0);
        d.assertEveryRunAddsUp();
        TestWarehouse.assertStateMatchesRows(d.schema);
    }

    private static Deployment deployment(String name, String setting) throws java.io.IOException {
        Deployment d = new Deployment(Files.createTempDirectory(Path.of("target"), name));
        d.raw.reference(14, Instant.parse("2025-07-20T00:00:00Z"));
        d.extra.add(setting);
        d.extra.add("incremental.max-files-per-trigger=100"); // one batch a run: the batches are not what is tested here
        return d;
    }

    /** Writes the events of days [from, to) after D0 as raw files, one per event date (as they arrive). */
    private static void feed(Deployment d, List<Event> events, int from, int to) {
        Map<LocalDate, List<Event>> byDate = new TreeMap<>();
        for (Event e : events) {
            if (e.ts() >= D0 + from * DAY && e.ts() < D0 + to * DAY) {
                byDate.computeIfAbsent(RawFolder.dateOf(e.ts()), k -> new ArrayList<>()).add(e);
            }
        }
        byDate.forEach(d.raw::parquet);
    }

    /** UTC midnight, this many days after D0 (2025-07-01). */
    private static String at(int day) {
        return Instant.ofEpochSecond((D0 + day * DAY) / 1_000_000).toString();
    }

    /** Four short shipments in the first week (purged whole), the rest living two to four weeks, events up to two days apart. */
    private static List<Event> events(Random r, int shipments) {
        List<Event> events = new ArrayList<>();
        for (int s = 0; s < shipments; s++) {
            boolean shortLived = s < 4;
            long ts = D0 + (long) (r.nextDouble() * (shortLived ? 6 : 20) * DAY);
            int n = shortLived ? 3 + r.nextInt(4) : 12 + r.nextInt(16);
            for (int i = 0; i < n && ts < D0 + 42 * DAY; i++) {
                events.add(new Event("S" + s, "r" + s + "-" + i, ts, STATUSES[i == n - 1 ? STATUSES.length - 1 : Math.min(i, STATUSES.length - 2)],
                        LOCATIONS[r.nextInt(LOCATIONS.length)], null));
                ts += (long) (r.nextDouble() * 2 * DAY);
            }
        }
        return events;
    }

    private static LocalDate oldestLakeDate(Deployment d) {
        TimelineLake lake = d.lake();
        LocalDate oldest = null;
        for (String table : List.of(TimelineLake.BASE_TABLE, TimelineLake.INCREMENTAL_TABLE)) {
            for (org.apache.spark.sql.Row row : com.shipmenttimeline.testing.SharedSpark.get().read().format("delta").load(lake.path(table))
                    .selectExpr("min(" + TimelineLake.EVENT_DATE + ")").collectAsList()) {
                if (!row.isNullAt(0)) {
                    LocalDate date = LocalDate.parse(row.get(0).toString());
                    oldest = oldest == null || date.isBefore(oldest) ? date : oldest;
                }
            }
        }
        return oldest;
    }
}
