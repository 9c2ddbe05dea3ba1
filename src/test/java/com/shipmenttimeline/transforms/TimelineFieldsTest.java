package com.shipmenttimeline.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.testing.EventRows;
import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.SharedSpark;
import com.shipmenttimeline.testing.TimelineFrames;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** A worked example of every field of contract section 4, the numbers reckoned by hand. */
class TimelineFieldsTest {
    private static long t(String iso) {
        return TimelineFrames.toMicros(EventRows.ts(iso));
    }

    private static final Long PROMISE = t("2025-07-01T20:00:00Z");
    // e2 and e3 tie on time: byte order of the ids puts e2 first.
    private static final List<Event> EVENTS = List.of(
            new Event("S", "e1", t("2025-07-01T10:00:00Z"), "LABEL_CREATED", null, PROMISE),
            new Event("S", "e3", t("2025-07-01T12:00:00Z"), "IN_TRANSIT", "L1", PROMISE),
            new Event("S", "e2", t("2025-07-01T12:00:00Z"), "PICKED_UP", "L1", PROMISE),
            new Event("S", "e4", t("2025-07-01T13:30:00.5Z"), "IN_TRANSIT", "L3", PROMISE),
            new Event("S", "e5", t("2025-07-02T00:00:00Z"), "ARRIVED_AT_FACILITY", "L2", PROMISE));

    private static Map<String, Row> byEventId(Dataset<Row> timeline) {
        Map<String, Row> m = new TreeMap<>();
        timeline.collectAsList().forEach(r -> m.put(r.getAs(TimelineColumns.EVENT_ID), r));
        return m;
    }

    @Test
    void workedExample() {
        Map<String, Row> rows = byEventId(TimelineFields.compute(TimelineFrames.enriched(EVENTS), TimelineFrames.noState()));
        Row e1 = rows.get("e1");
        Row e2 = rows.get("e2");
        Row e3 = rows.get("e3");
        Row e4 = rows.get("e4");
        Row e5 = rows.get("e5");

        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), List.of(e1.<Long>getAs("event_sequence"), e2.<Long>getAs("event_sequence"),
                e3.<Long>getAs("event_sequence"), e4.<Long>getAs("event_sequence"), e5.<Long>getAs("event_sequence")));

        assertNull(e1.getAs("time_since_prev_event_seconds"));
        assertEquals(7200.0, (double) e2.getAs("time_since_prev_event_seconds"));
        assertEquals(0.0, (double) e3.getAs("time_since_prev_event_seconds"));
        assertEquals(5400.5, (double) e4.getAs("time_since_prev_event_seconds"));
        assertEquals(37799.5, (double) e5.getAs("time_since_prev_event_seconds"));

        assertEquals(0.0, (double) e1.getAs("cumulative_transit_hours"));
        assertEquals(2.0, (double) e3.getAs("cumulative_transit_hours"));
        assertEquals(12600.5 / 3600, (double) e4.getAs("cumulative_transit_hours"), 1e-12);
        assertEquals(14.0, (double) e5.getAs("cumulative_transit_hours"));

        assertNull(e1.getAs("prev_status"));
        assertEquals("LABEL_CREATED", e2.getAs("prev_status"));
        assertEquals("PICKED_UP", e3.getAs("prev_status"));
        assertNull(e2.getAs("prev_location_id"));
        assertEquals("L1", e4.getAs("prev_location_id"));

        assertFalse((boolean) e1.getAs("is_location_change"));
        assertFalse((boolean) e2.getAs("is_location_change"), "previous location is null");
        assertFalse((boolean) e3.getAs("is_location_change"), "same location");
        assertTrue((boolean) e4.getAs("is_location_change"), "L1 -> L3");
        assertTrue((boolean) e5.getAs("is_location_change"), "L3 -> L2");

        assertEquals(EventRows.ts("2025-07-01T12:00:00Z"), e4.getAs("status_start_timestamp"), "the IN_TRANSIT run began at e3");
        assertEquals(5400.5, (double) e4.getAs("time_in_status_seconds"));
        assertEquals(0.0, (double) e5.getAs("time_in_status_seconds"));

        assertNull(e1.getAs("prev_status_duration_seconds"));
        assertEquals(7200.0, (double) e2.getAs("prev_status_duration_seconds"), "LABEL_CREATED lasted 10:00 -> 12:00");
        assertEquals(0.0, (double) e3.getAs("prev_status_duration_seconds"), "PICKED_UP lasted no time at all");
        assertNull(e4.getAs("prev_status_duration_seconds"), "same status as before");
        assertEquals(43200.0, (double) e5.getAs("prev_status_duration_seconds"), "IN_TRANSIT ran from 12:00 to 00:00");

        assertEquals(10.0, (double) e1.getAs("hours_to_promise"));
        assertEquals(-4.0, (double) e5.getAs("hours_to_promise"));
        assertFalse((boolean) e4.getAs("is_past_promise"));
        assertTrue((boolean) e5.getAs("is_past_promise"));
    }

    @Test
    void noPromiseGivesNullHoursAndNotPast() {
        List<Event> events = List.of(new Event("S", "e1", t("2025-07-01T10:00:00Z"), "A", null, null));
        Row r = TimelineFields.compute(TimelineFrames.enriched(events), TimelineFrames.noState()).first();
        assertNull(r.getAs("hours_to_promise"));
        assertFalse((boolean) r.getAs("is_past_promise"));
    }

    @Test
    void continuesFromAnAnchorWhoseStatusRunStartedEarlier() {
        // Stored: e1..e3, the last (e3) IN_TRANSIT since 12:00, first event at 10:00, sequence 3.
        Dataset<Row> state = SharedSpark.rows(ShipmentState.SCHEMA, new Object[] {"S", 3L, EventRows.ts("2025-07-01T12:00:00Z"), "e3",
            "IN_TRANSIT", "L1", EventRows.ts("2025-07-01T12:00:00Z"), EventRows.ts("2025-07-01T10:00:00Z")});
        Map<String, Row> continued = byEventId(TimelineFields.compute(TimelineFrames.enriched(EVENTS.subList(3, 5)), state));
        Map<String, Row> whole = byEventId(TimelineFields.compute(TimelineFrames.enriched(EVENTS), TimelineFrames.noState()));
        assertEquals(2, continued.size(), "the anchor row is dropped");
        for (String id : List.of("e4", "e5")) {
            assertEquals(whole.get(id), continued.get(id), id);
        }
    }

    @Test
    void outputHasTheContractColumnsInOrder() {
        Dataset<Row> out = TimelineFields.compute(TimelineFrames.enriched(EVENTS), TimelineFrames.noState());
        assertEquals(List.of(TimelineColumns.names(TimelineColumns.COMPUTED)), List.of(out.columns()));
    }
}
