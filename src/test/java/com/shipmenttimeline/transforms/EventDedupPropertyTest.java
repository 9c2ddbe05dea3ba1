package com.shipmenttimeline.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.testing.EventRows;
import com.shipmenttimeline.testing.SharedSpark;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

/**
 * The base run's deduplication inside the shipment partitioning ({@link EventDedup#markDuplicatesByShipment})
 * marks exactly the rows the global one by {@code event_id} ({@link EventDedup#markDuplicates}) marks,
 * above all for {@code event_id}s that appear under more than one shipment.
 */
class EventDedupPropertyTest {
    private static final Instant AS_OF = Instant.parse("2025-07-11T00:00:00Z");
    private static final Duration TOLERANCE = Duration.ofHours(24);

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property(tries = 20, shrinking = ShrinkingMode.OFF)
    void byShipmentMarksWhatTheGlobalDedupMarks(@ForAll("seeds") long seed) {
        Random r = new Random(seed);
        List<Row> rows = new ArrayList<>();
        int n = 40 + r.nextInt(160);
        int ids = 5 + r.nextInt(25);
        double crossRate = r.nextDouble() * 0.5;
        for (int i = 0; i < n; i++) {
            int id = r.nextInt(ids);
            // Each id has a home shipment; some copies name another one (or none, which is quarantined).
            String shipment = r.nextDouble() < crossRate ? "s" + r.nextInt(6) : "s" + (id % 6);
            if (r.nextInt(20) == 0) {
                shipment = null;
            }
            if (r.nextInt(25) == 0) {
                rows.add(RowFactory.create(null, null, null, null, null, null, null, "broken " + i, "file:/f.jsonl", true, null));
                continue;
            }
            rows.add(RowFactory.create("e" + id, shipment, EventRows.ts("2025-07-0" + (2 + r.nextInt(3)) + "T0" + r.nextInt(3) + ":00:00Z"),
                    r.nextBoolean() ? "SCAN" : "ARRIVAL", r.nextInt(12) == 0 ? null : "S" + r.nextInt(3),
                    r.nextInt(3) == 0 ? null : "L" + r.nextInt(3),
                    r.nextInt(3) == 0 ? null : EventRows.ts("2025-07-05T0" + r.nextInt(3) + ":00:00Z"),
                    "{\"row\":" + (r.nextInt(4) == 0 ? 0 : i) + "}", "file:/f" + r.nextInt(3) + ".parquet", false, null));
        }
        Dataset<Row> validated = EventValidation.apply(SharedSpark.get().createDataFrame(rows, RawEvents.READ_SCHEMA), AS_OF, TOLERANCE);
        List<String> global = marks(EventDedup.markDuplicates(validated));
        assertEquals(rows.size(), global.size());
        assertTrue(global.stream().anyMatch(x -> x.endsWith("|true")), "the generator makes duplicates");
        assertEquals(global, marks(EventDedup.markDuplicatesByShipment(validated)), "seed " + seed);
    }

    @Test
    void anEventIdUnderTwoShipmentsKeepsOneRowOverall() {
        EventRows rows = EventRows.of()
                .add("e1", "s1", "2025-07-05T00:00:00Z", "SCAN", "A", "L1", "2025-07-05T02:00:00Z", "winner")
                .add("e1", "s2", "2025-07-05T00:00:00Z", "SCAN", "A", "L1", "2025-07-05T01:00:00Z", "other shipment, earlier ingest")
                .add("e1", "s1", "2025-07-05T00:00:00Z", "SCAN", "A", "L1", "2025-07-05T00:30:00Z", "same shipment, earlier ingest")
                .add("e1", "s2", "2025-07-05T00:00:00Z", "SCAN", "A", "L1", null, "other shipment, no ingest time")
                .add("e2", "s2", "2025-07-05T00:00:00Z", "SCAN", "A", "L1", null, "alone");
        Dataset<Row> classified = EventOutcomes.forBase(rows.frame(), AS_OF, TOLERANCE, Instant.parse("2025-07-01T00:00:00Z"));
        Set<String> kept = new HashSet<>();
        classified.filter(classified.col(Outcome.COLUMN).equalTo(Outcome.TIMELINE)).select(RawEvents.SOURCE_FILE).collectAsList()
                .forEach(row -> kept.add(row.getString(0)));
        assertEquals(Set.of("winner", "alone"), kept);
        assertEquals(3, classified.filter(classified.col(Outcome.COLUMN).equalTo(Outcome.DUPLICATE)).count());
    }

    @Test
    void theWinningShipmentCanLoseItsOtherCopiesToo() {
        // e1's winner is under s2 (latest ingest); s1's copies all lose, and so does s2's older copy.
        EventRows rows = EventRows.of()
                .add("e1", "s1", "2025-07-05T00:00:00Z", "SCAN", "A", null, "2025-07-05T01:00:00Z", "s1 a")
                .add("e1", "s1", "2025-07-05T00:00:00Z", "SCAN", "A", null, "2025-07-05T01:00:00Z", "s1 b")
                .add("e1", "s2", "2025-07-05T00:00:00Z", "SCAN", "A", null, "2025-07-05T03:00:00Z", "s2 winner")
                .add("e1", "s2", "2025-07-05T00:00:00Z", "SCAN", "A", null, "2025-07-05T02:00:00Z", "s2 older");
        Map<String, Boolean> m = new HashMap<>();
        Dataset<Row> marked = EventDedup.markDuplicatesByShipment(EventValidation.apply(rows.frame(), AS_OF, TOLERANCE));
        marked.select(RawEvents.SOURCE_FILE, EventDedup.IS_DUPLICATE).collectAsList().forEach(row -> m.put(row.getString(0), row.getBoolean(1)));
        assertEquals(Map.of("s1 a", true, "s1 b", true, "s2 winner", false, "s2 older", true), m);
    }

    @Test
    void aBaseRunShufflesTheWideRowsOnceAndTheTimelineWindowReusesThatPartitioning() {
        EventRows rows = EventRows.of();
        for (int i = 0; i < 300; i++) {
            rows.add("e" + (i % 200), "s" + (i % 9), "2025-07-05T0" + (i % 5) + ":00:00Z", "SCAN", "A", "L1", null, "f" + i);
        }
        Dataset<Row> marked = EventOutcomes.markedWithinShipments(rows.frame(), AS_OF, TOLERANCE).cache();
        try {
            List<Row> winners = EventDedup.crossShipmentWinners(marked).collectAsList();
            assertEquals(100, winners.size(), "e0..e99 appear twice, under shipments i % 9 and (i + 2) % 9");
            Dataset<Row> tagged = EventOutcomes.forBase(marked, SharedSpark.get().createDataFrame(winners, EventDedup.WINNERS_SCHEMA),
                    Instant.parse("2025-07-01T00:00:00Z"));
            Dataset<Row> windowed = tagged.filter(tagged.col(Outcome.COLUMN).equalTo(Outcome.TIMELINE)).withColumn("_n",
                    org.apache.spark.sql.functions.row_number().over(org.apache.spark.sql.expressions.Window
                            .partitionBy(RawEvents.SHIPMENT_ID).orderBy(RawEvents.EVENT_TIMESTAMP)));
            assertEquals(200, windowed.count(), "one row per event_id");
            String plan = windowed.queryExecution().executedPlan().toString();
            String aboveTheCache = plan.substring(0, plan.indexOf("InMemoryTableScan"));
            assertTrue(!aboveTheCache.replace("BroadcastExchange", "").contains("Exchange"), "no shuffle between the cache and the window:\n" + plan);
            String cached = plan.substring(plan.indexOf("InMemoryRelation"));
            assertEquals(1, cached.split("Exchange hashpartitioning", -1).length - 1, "one shuffle of the rows into the cache:\n" + plan);
        } finally {
            marked.unpersist();
        }
    }

    /** Each row with its mark, sorted: rows equal in every value are interchangeable, so the two sides compare as multisets. */
    private static List<String> marks(Dataset<Row> marked) {
        List<String> m = new ArrayList<>();
        for (Row row : marked.select(RawEvents.EVENT_ID, RawEvents.SHIPMENT_ID, RawEvents.EVENT_TIMESTAMP, RawEvents.STATUS,
                RawEvents.LOCATION_ID, RawEvents.EVENT_TYPE, RawEvents.INGESTED_AT, RawEvents.SOURCE_FILE, RawEvents.RAW_RECORD,
                EventValidation.REASON, EventDedup.IS_DUPLICATE).collectAsList()) {
            m.add(row.mkString("|"));
        }
        m.sort(null);
        return m;
    }
}
