package com.shipmenttimeline.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.testing.EventRows;
import com.shipmenttimeline.testing.SharedSpark;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class EventOutcomesTest {
    private static final Instant AS_OF = Instant.parse("2025-07-11T00:00:00Z");
    private static final Instant WINDOW_START = Instant.parse("2025-07-01T00:00:00Z");
    private static final Duration TOLERANCE = Duration.ofHours(24);

    private static Map<String, String> outcomeByEventId(Dataset<Row> classified) {
        Map<String, String> m = new TreeMap<>();
        for (Row r : classified.select(RawEvents.EVENT_ID, Outcome.COLUMN).collectAsList()) {
            m.put(String.valueOf(r.getString(0)), r.getString(1));
        }
        return m;
    }

    @Test
    void eachQuarantineReasonIsAssigned() {
        Dataset<Row> read = EventRows.of()
                .add("e1", "s1", null, "PICKED_UP", null)
                .add("e2", "s1", "2025-07-05T00:00:00Z", null, null)
                .add("e3", null, "2025-07-05T00:00:00Z", "PICKED_UP", null)
                .add("e4", "s1", "2025-07-12T00:00:00.000001Z", "PICKED_UP", null)
                .add("e5", "s1", "2025-07-12T00:00:00Z", "PICKED_UP", null)
                .add("e6", "s1", "2025-06-30T23:59:59.999999Z", "PICKED_UP", null)
                .add("e7", "s1", "2025-07-01T00:00:00Z", "PICKED_UP", null)
                .frame();
        Map<String, String> out = outcomeByEventId(EventOutcomes.forBase(read, AS_OF, TOLERANCE, WINDOW_START));
        assertEquals("MISSING_EVENT_TIMESTAMP", out.get("e1"));
        assertEquals("MISSING_STATUS", out.get("e2"));
        assertEquals("MISSING_SHIPMENT_ID", out.get("e3"));
        assertEquals("FUTURE_TIMESTAMP", out.get("e4"), "strictly later than as_of + tolerance");
        assertEquals(Outcome.TIMELINE, out.get("e5"), "exactly as_of + tolerance is not in the future");
        assertEquals("TOO_LATE", out.get("e6"));
        assertEquals(Outcome.TIMELINE, out.get("e7"), "the window start itself is in scope");
    }

    @Test
    void firstApplicableReasonWinsInContractOrder() {
        // Each row breaks every rule from some point of the list on; the first broken rule names it.
        Dataset<Row> read = EventRows.of()
                .add(null, null, null, null, null, null, null, "a")                    // no id, no shipment, no time, no status
                .add("e2", null, null, null, null, null, null, "b")                    // no shipment, no time, no status
                .add("e3", "s", null, null, null, null, null, "c")                     // no time, no status
                .add("e4", "s", "2030-01-01T00:00:00Z", null, null, null, null, "d")   // no status, and in the future
                .malformed("{not json")
                .frame();
        Map<String, String> bySource = new TreeMap<>();
        EventOutcomes.forBase(read, AS_OF, TOLERANCE, WINDOW_START).select(RawEvents.SOURCE_FILE, Outcome.COLUMN)
                .collectAsList().forEach(r -> bySource.put(r.getString(0), r.getString(1)));
        assertEquals(Map.of("a", "MISSING_EVENT_ID", "b", "MISSING_SHIPMENT_ID", "c", "MISSING_EVENT_TIMESTAMP",
                "d", "MISSING_STATUS", "file:/f2.jsonl", "MALFORMED"), bySource);
    }

    @Test
    void blankStringsCountAsNullIncludingUnicodeWhitespace() {
        Dataset<Row> read = EventRows.of()
                .add("e1", " \t ", "2025-07-05T00:00:00Z", "PICKED_UP", null)
                .add("e2", "s1", "2025-07-05T00:00:00Z", "\u2003", null)   // em space: Character.isWhitespace
                .add("e3", "s1", "2025-07-05T00:00:00Z", "\u00a0", null)   // no-break space is NOT whitespace to Java
                .add("  ", "s1", "2025-07-05T00:00:00Z", "PICKED_UP", "")
                .frame();
        Dataset<Row> classified = EventOutcomes.forBase(read, AS_OF, TOLERANCE, WINDOW_START);
        Map<String, String> out = outcomeByEventId(classified);
        assertEquals("MISSING_SHIPMENT_ID", out.get("e1"));
        assertEquals("MISSING_STATUS", out.get("e2"));
        assertEquals(Outcome.TIMELINE, out.get("e3"));
        assertEquals("MISSING_EVENT_ID", out.get("null"));
    }

    /**
     * Contract section 2 for an incremental batch: a row whose stored version wins (the same version
     * or a newer one) is already processed; one that wins against it is a correction, a timeline row
     * that names the shipment it replaces a row of; there is no late outcome, whatever the timestamp;
     * a survivor before the latest base window start is TOO_LATE, and still names the stored row it
     * takes out when it wins.
     */
    @Test
    void incrementalComparesEachRowWithTheStoredVersionOfItsEventAndHasNoLateOutcome() {
        Dataset<Row> read = EventRows.of()
                .add("same", "s1", "2025-07-09T00:00:00Z", "SCAN", "PICKED_UP", null, "2025-07-09T01:00:00Z", "file:/a.parquet")
                .add("older", "s1", "2025-07-09T00:00:00Z", "SCAN", "DELIVERED", null, "2025-07-09T01:00:00Z", "file:/a.parquet")
                .add("fix", "s1", "2025-07-09T00:00:00Z", "SCAN", "IN_TRANSIT", null, "2025-07-10T01:00:00Z", "file:/a.parquet")
                .add("moved", "s2", "2025-07-09T00:00:00Z", "SCAN", "IN_TRANSIT", null, "2025-07-10T01:00:00Z", "file:/a.parquet")
                .add("early", "s1", "2025-07-01T00:00:01Z", "SCAN", "PICKED_UP", null, null, "file:/a.parquet")
                .add("stale", "s1", "2025-06-30T23:59:59Z", "SCAN", "PICKED_UP", null, null, "file:/a.parquet")
                .add("gone", "s1", "2025-06-30T12:00:00Z", "SCAN", "PICKED_UP", null, "2025-07-10T01:00:00Z", "file:/a.parquet")
                .frame();
        StructType versions = new StructType().add(RawEvents.EVENT_ID, DataTypes.StringType).add(RawEvents.INGESTED_AT, DataTypes.TimestampType)
                .add(RawEvents.EVENT_TIMESTAMP, DataTypes.TimestampType).add(RawEvents.STATUS, DataTypes.StringType)
                .add(RawEvents.LOCATION_ID, DataTypes.StringType).add(RawEvents.EVENT_TYPE, DataTypes.StringType)
                .add(RawEvents.SHIPMENT_ID, DataTypes.StringType);
        java.sql.Timestamp at = EventRows.ts("2025-07-09T00:00:00Z");
        java.sql.Timestamp ingested = EventRows.ts("2025-07-09T01:00:00Z");
        Dataset<Row> stored = SharedSpark.rows(versions,
                new Object[] {"same", ingested, at, "PICKED_UP", null, "SCAN", "s1"},
                new Object[] {"older", EventRows.ts("2025-07-09T02:00:00Z"), at, "PICKED_UP", null, "SCAN", "s1"}, // stored was ingested later
                new Object[] {"fix", ingested, at, "PICKED_UP", null, "SCAN", "s1"},
                new Object[] {"moved", ingested, at, "IN_TRANSIT", null, "SCAN", "s1"},
                new Object[] {"gone", ingested, at, "PICKED_UP", null, "SCAN", "s3"});
        Dataset<Row> classified = EventOutcomes.forIncremental(read, AS_OF, TOLERANCE, WINDOW_START, stored);
        assertEquals(Map.of("same", Outcome.ALREADY_PROCESSED, "older", Outcome.ALREADY_PROCESSED, "fix", Outcome.TIMELINE,
                "moved", Outcome.TIMELINE, "early", Outcome.TIMELINE, "stale", "TOO_LATE", "gone", "TOO_LATE"), outcomeByEventId(classified));
        Map<String, String> supersedes = new TreeMap<>();
        for (Row r : classified.select(RawEvents.EVENT_ID, EventOutcomes.SUPERSEDES).collectAsList()) {
            if (!r.isNullAt(1)) {
                supersedes.put(r.getString(0), r.getString(1));
            }
        }
        assertEquals(Map.of("fix", "s1", "moved", "s1", "gone", "s3"), supersedes, "the stored shipment each winning version replaces");
        assertEquals(Map.of("early", Outcome.TIMELINE), outcomeByEventId(EventOutcomes.forIncremental(
                EventRows.of().add("early", "s1", "2025-06-01T00:00:00Z", "PICKED_UP", null).frame(), AS_OF, TOLERANCE, null,
                stored.limit(0))), "before any base run nothing is too late");
    }

    @Test
    void tooLateAppliesToTheSurvivorAfterDedup() {
        // Two copies of one event: the later-ingested copy wins, and it is before the window.
        Dataset<Row> read = EventRows.of()
                .add("e1", "s1", "2025-07-02T00:00:00Z", "SCAN", "PICKED_UP", null, "2025-07-02T00:05:00Z", "a")
                .add("e1", "s1", "2025-06-20T00:00:00Z", "SCAN", "PICKED_UP", null, "2025-07-03T00:00:00Z", "b")
                .frame();
        List<Row> rows = EventOutcomes.forBase(read, AS_OF, TOLERANCE, WINDOW_START)
                .select(RawEvents.SOURCE_FILE, Outcome.COLUMN).orderBy(RawEvents.SOURCE_FILE).collectAsList();
        assertEquals("DUPLICATE", rows.get(0).getString(1));
        assertEquals("TOO_LATE", rows.get(1).getString(1));
    }

    @org.junit.jupiter.api.Test
    void blankMeansExactlyJavasIsBlank() {
        java.util.List<String> samples = new java.util.ArrayList<>(java.util.List.of("", "a", " a ", "\u00A0", "\u2007", "\u202F", "\u200B",
                " \u00A0 ", "x\ty", "\uFEFF"));
        for (char ch = 0; ch < 0x3100; ch++) {
            samples.add(String.valueOf(ch));
            samples.add(" " + ch + "\t");
        }
        org.apache.spark.sql.SparkSession spark = com.shipmenttimeline.testing.SharedSpark.get();
        Dataset<Row> df = spark.createDataset(samples, org.apache.spark.sql.Encoders.STRING()).toDF("s");
        java.util.List<Row> out = df.select(org.apache.spark.sql.functions.col("s"),
                EventValidation.isBlank(org.apache.spark.sql.functions.col("s"))).collectAsList();
        assertEquals(samples.size(), out.size());
        for (Row r : out) {
            assertEquals(r.getString(0).isBlank(), r.getBoolean(1), () -> "blank test differs for " + r.getString(0).codePoints()
                    .mapToObj(Integer::toHexString).toList());
        }
    }
}
