package com.shipmenttimeline.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Timestamp;
import java.time.Instant;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonEventParserTest {
    private final JsonEventParser parser = new JsonEventParser();

    private Row parse(String line) {
        return parser.parse(line, "f.jsonl");
    }

    private static boolean malformed(Row r) {
        return r.getBoolean(9);
    }

    @Test
    void readsAWellFormedLine() {
        Row r = parse("{\"event_id\":\"e1\",\"shipment_id\":\"s1\",\"event_timestamp\":\"2025-07-11T10:00:00.123456Z\","
                + "\"event_type\":\"SCAN\",\"status\":\"PICKED_UP\",\"location_id\":null,\"extra\":[1,2]}");
        assertFalse(malformed(r));
        assertEquals("e1", r.getString(0));
        assertEquals(Timestamp.from(Instant.parse("2025-07-11T10:00:00.123456Z")), r.getTimestamp(2));
        assertNull(r.get(5));
        assertNull(r.get(6), "a missing column reads as null");
        assertEquals("f.jsonl", r.getString(8));
    }

    @Test
    void timestampForms() {
        assertEquals(Instant.parse("2025-07-11T10:00:00Z"), JsonEventParser.parseTimestamp("2025-07-11T10:00:00"), "no offset is UTC");
        assertEquals(Instant.parse("2025-07-11T08:00:00Z"), JsonEventParser.parseTimestamp("2025-07-11T10:00:00+02:00"));
        assertEquals(Instant.parse("2025-07-11T10:30:00.5Z"), JsonEventParser.parseTimestamp("2025-07-11T10:00:00.5-00:30"));
        assertEquals(Instant.parse("2025-07-11T10:00:00.000001Z"), JsonEventParser.parseTimestamp("2025-07-11T10:00:00.000001Z"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2025-07-11 10:00:00", "2025-07-11T10:00", "2025-07-11T10:00:00.1234567Z", "2025-07-11T10:00:00z",
        "2025-13-11T10:00:00Z", "2025-02-30T10:00:00Z", "2025-07-11T24:00:00Z", "2025-07-11T10:00:00+0200", "11/07/2025",
        "2025-07-11T10:00:00+19:00", "2025-07-11"})
    void timestampsOutsideTheFormAreRejected(String text) {
        assertNull(JsonEventParser.parseTimestamp(text), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"event_id\":\"e1\",",                                           // broken JSON
        "[{\"event_id\":\"e1\"}]",                                         // not an object
        "\"e1\"",                                                         // a bare string
        "{\"event_id\":12,\"shipment_id\":\"s\"}",                         // a number where a string belongs
        "{\"event_id\":\"e1\",\"status\":true}",                           // a boolean
        "{\"event_id\":\"e1\",\"location_id\":{\"id\":\"L1\"}}",           // an object
        "{\"event_id\":\"e1\",\"event_type\":[\"SCAN\"]}",                 // an array
        "{\"event_id\":\"e1\",\"event_timestamp\":\"yesterday\"}",         // a timestamp outside the form
        "{\"event_id\":\"e1\",\"event_timestamp\":1720000000}",            // epoch numbers are not the form
        "{\"event_id\":\"e1\",\"ingested_at\":\"2025-07-11T10:00\"}",      // ingested_at follows the same rule
        "{\"event_id\":\"e1\"} {\"event_id\":\"e2\"}",                     // two values on one line
        "{\"event_id\":\"e1\"} trailing",                                  // garbage after the object
        "null"                                                              // a JSON null is not an object
    })
    void malformedLines(String line) {
        Row r = parse(line);
        assertTrue(malformed(r), line);
        assertEquals(line, r.getString(7), "the original content is kept");
    }

    @Test
    void aKeyGivenTwiceTakesItsLastValue() {
        Row r = parse("{\"event_id\":\"e1\",\"event_id\":\"e2\",\"status\":\"A\"}");
        assertFalse(malformed(r));
        assertEquals("e2", r.getString(0));
    }

    @Test
    void blankLinesAreNotRows() {
        assertTrue(JsonEventParser.isBlankLine("   \t"));
        assertTrue(JsonEventParser.isBlankLine(""));
        assertFalse(JsonEventParser.isBlankLine(" {} "));
    }
}
