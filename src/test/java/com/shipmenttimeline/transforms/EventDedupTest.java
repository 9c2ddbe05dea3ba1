package com.shipmenttimeline.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.testing.EventRows;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class EventDedupTest {
    private static final Instant AS_OF = Instant.parse("2025-07-11T00:00:00Z");
    private static final Instant WINDOW_START = Instant.parse("2025-07-01T00:00:00Z");

    /** The survivor's source file, for rows that all share event_id e1. */
    private static String survivor(EventRows rows) {
        Dataset<Row> classified = EventOutcomes.forBase(rows.frame(), AS_OF, Duration.ofHours(24), WINDOW_START);
        List<Row> kept = classified.filter(classified.col(Outcome.COLUMN).equalTo(Outcome.TIMELINE))
                .select(RawEvents.SOURCE_FILE).collectAsList();
        assertEquals(1, kept.size(), "exactly one survivor");
        assertEquals(rows.frame().count() - 1, classified.filter(classified.col(Outcome.COLUMN).equalTo(Outcome.DUPLICATE)).count());
        return kept.get(0).getString(0);
    }

    @Test
    void latestIngestedAtWinsWithNullsLast() {
        assertEquals("late", survivor(EventRows.of()
                .add("e1", "s", "2025-07-05T00:00:00Z", "SCAN", "A", null, "2025-07-05T01:00:00Z", "early")
                .add("e1", "s", "2025-07-05T00:00:00Z", "SCAN", "A", null, null, "null")
                .add("e1", "s", "2025-07-04T00:00:00Z", "SCAN", "A", null, "2025-07-06T00:00:00Z", "late")));
    }

    @Test
    void thenGreatestEventTimestamp() {
        assertEquals("later", survivor(EventRows.of()
                .add("e1", "s", "2025-07-05T00:00:00Z", "SCAN", "A", null, null, "earlier")
                .add("e1", "s", "2025-07-05T00:00:00.000001Z", "SCAN", "A", null, null, "later")));
    }

    @Test
    void thenStatusLocationTypeShipmentInByteOrderWithNullsLowest() {
        String ts = "2025-07-05T00:00:00Z";
        // Byte order: "Z" (0x5A) < "a" (0x61); a locale-aware order would put "a" first.
        assertEquals("status", survivor(EventRows.of()
                .add("e1", "s", ts, "T", "Z", "L9", null, "x")
                .add("e1", "s", ts, "T", "a", null, null, "status")));
        assertEquals("location", survivor(EventRows.of()
                .add("e1", "s", ts, "T", "A", null, null, "nullloc")
                .add("e1", "s", ts, "T", "A", "L1", null, "location")));
        assertEquals("type", survivor(EventRows.of()
                .add("e1", "s", ts, "ALPHA", "A", "L", null, "x")
                .add("e1", "s", ts, "BETA", "A", "L", null, "type")));
        assertEquals("shipment", survivor(EventRows.of()
                .add("e1", "s1", ts, "T", "A", "L", null, "x")
                .add("e1", "s2", ts, "T", "A", "L", null, "shipment")));
    }

    @Test
    void survivorDoesNotDependOnReadOrder() {
        Random random = new Random(11);
        List<String[]> copies = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            copies.add(new String[] {"e1", "s" + random.nextInt(3), "2025-07-0" + (1 + random.nextInt(3)) + "T00:00:00Z", "T",
                "S" + random.nextInt(3), random.nextBoolean() ? null : "L" + random.nextInt(3),
                random.nextBoolean() ? null : "2025-07-0" + (1 + random.nextInt(2)) + "T00:00:00Z", "f" + i});
        }
        String first = null;
        for (int round = 0; round < 4; round++) {
            Collections.shuffle(copies, random);
            EventRows rows = EventRows.of();
            copies.forEach(c -> rows.add(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]));
            String s = survivor(rows);
            if (first == null) {
                first = s;
            }
            assertEquals(first, s, "round " + round);
        }
    }
}
