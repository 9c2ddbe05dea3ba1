package com.shipmenttimeline.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.holdenkarau.spark.testing.JavaDataFrameSuiteBase;
import com.holdenkarau.spark.testing.SparkSessionProvider;
import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.testing.ReferenceTimeline;
import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.SharedSpark;
import com.shipmenttimeline.testing.TimelineFrames;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The laws of section 4 on random event sets with ties, status runs that repeat, null locations
 * and missing promises: the window functions agree with a plain per-shipment loop, and a run
 * continued from stored state equals one computation over the whole history.
 */
class TimelinePropertyTest {
    private static final String[] STATUSES = {"PICKED_UP", "IN_TRANSIT", "IN_TRANSIT", "EXCEPTION", "DELIVERED"};
    private static final String[] LOCATIONS = {null, "L1", "L2", "L3"};
    private static final String[] ID_CHARS = {"a", "B", "z", "0", "_", "é"};

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    static List<Event> randomEvents(long seed) {
        Random r = new Random(seed);
        List<Event> events = new ArrayList<>();
        int shipments = 1 + r.nextInt(5);
        long base = 1_751_328_000_000_000L; // 2025-07-01
        for (int s = 0; s < shipments; s++) {
            Long promise = r.nextInt(3) == 0 ? null : base + r.nextInt(48) * 3_600_000_000L;
            int n = 1 + r.nextInt(12);
            for (int i = 0; i < n; i++) {
                // Few distinct times, so that ties are common; ids with bytes that sort differently by locale.
                long ts = base + r.nextInt(10) * 1_800_000_000L + (r.nextBoolean() ? 0 : r.nextInt(1000));
                String id = "e" + ID_CHARS[r.nextInt(ID_CHARS.length)] + i + "-" + s;
                events.add(new Event("S" + s, id, ts, STATUSES[r.nextInt(STATUSES.length)], LOCATIONS[r.nextInt(LOCATIONS.length)], promise));
            }
        }
        return events;
    }

    @Property(tries = 25, shrinking = ShrinkingMode.OFF)
    void windowFunctionsAgreeWithAPlainLoop(@ForAll("seeds") long seed) {
        List<Event> events = randomEvents(seed);
        Map<String, ReferenceTimeline.Fields> expected = ReferenceTimeline.compute(events);
        List<Row> rows = TimelineFields.compute(TimelineFrames.enriched(events), TimelineFrames.noState()).collectAsList();
        assertEquals(events.size(), rows.size());
        for (Row row : rows) {
            ReferenceTimeline.Fields f = expected.get(row.<String>getAs(TimelineColumns.EVENT_ID));
            String id = f.eventId() + " (seed " + seed + ")";
            assertEquals(f.sequence(), (long) row.getAs(TimelineColumns.EVENT_SEQUENCE), id);
            assertEquals(f.timeSincePrev(), row.getAs(TimelineColumns.TIME_SINCE_PREV_EVENT_SECONDS), id);
            assertEquals(f.cumulativeHours(), (double) row.getAs(TimelineColumns.CUMULATIVE_TRANSIT_HOURS), 1e-9, id);
            assertEquals(f.prevStatus(), row.getAs(TimelineColumns.PREV_STATUS), id);
            assertEquals(f.prevLocation(), row.getAs(TimelineColumns.PREV_LOCATION_ID), id);
            assertEquals(f.locationChange(), row.getAs(TimelineColumns.IS_LOCATION_CHANGE), id);
            assertEquals(f.statusStart(), TimelineFrames.toMicros(row.<Timestamp>getAs(TimelineColumns.STATUS_START_TIMESTAMP)), id);
            assertEquals(f.timeInStatus(), (double) row.getAs(TimelineColumns.TIME_IN_STATUS_SECONDS), 1e-9, id);
            assertEquals(f.prevStatusDuration(), row.getAs(TimelineColumns.PREV_STATUS_DURATION_SECONDS), id);
            assertEquals(f.hoursToPromise(), row.getAs(TimelineColumns.HOURS_TO_PROMISE), id);
            assertEquals(f.pastPromise(), row.getAs(TimelineColumns.IS_PAST_PROMISE), id);
        }
    }

    @Property(tries = 20, shrinking = ShrinkingMode.OFF)
    void continuingFromStoredStateEqualsOneComputationOverTheWholeHistory(@ForAll("seeds") long seed) {
        List<Event> events = randomEvents(seed);
        long split = events.get(new Random(seed ^ 7).nextInt(events.size())).ts();
        List<Event> stored = events.stream().filter(e -> e.ts() < split).toList();
        List<Event> fresh = events.stream().filter(e -> e.ts() >= split).toList();

        Dataset<Row> whole = TimelineFields.compute(TimelineFrames.enriched(events), TimelineFrames.noState());
        Dataset<Row> storedTimeline = TimelineFields.compute(TimelineFrames.enriched(stored), TimelineFrames.noState());
        Dataset<Row> continued = TimelineFields.compute(TimelineFrames.enriched(fresh), TimelineFrames.stateOf(storedTimeline));

        Dataset<Row> expected = whole.filter(whole.col(TimelineColumns.EVENT_TIMESTAMP).geq(TimelineFrames.micros(split)));
        JavaDataFrameSuiteBase frames = new JavaDataFrameSuiteBase();
        SparkSessionProvider._sparkSession_$eq(SharedSpark.get());
        frames.assertDataFrameNoOrderEquals(expected, continued);
    }
}
