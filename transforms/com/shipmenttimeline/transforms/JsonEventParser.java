package com.shipmenttimeline.transforms;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.shipmenttimeline.schemas.RawEvents;
import java.io.Serializable;
import java.sql.Timestamp;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Turns one JSON Lines line into a row of {@link RawEvents#READ_SCHEMA}, by the rules of
 * contract section 1 and the {@code MALFORMED} rule of section 2. Spark's own JSON reader would
 * quietly turn a number or an object into a string; the contract says those rows are malformed.
 */
public final class JsonEventParser implements Serializable {
    private static final long serialVersionUID = 1L;

    /** {@code YYYY-MM-DDTHH:MM:SS}, an optional 1–6 digit fraction, an optional {@code Z} or {@code ±HH:MM}. */
    private static final Pattern TIMESTAMP = Pattern.compile(
            "(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,6}))?(Z|[+-]\\d{2}:\\d{2})?");

    private transient ObjectMapper mapper;

    private ObjectMapper mapper() {
        if (mapper == null) {
            // A line is one JSON value: anything after it makes the line malformed. A key given twice
            // takes its last value, as most JSON readers do; the contract does not call it malformed.
            mapper = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        }
        return mapper;
    }

    /** True for a line that is not a row at all: empty or only whitespace. */
    public static boolean isBlankLine(String line) {
        return line == null || line.isBlank();
    }

    /** Parses a non-blank line. A line that breaks the contract comes back with {@code _malformed = true}. */
    public Row parse(String line, String sourceFile) {
        JsonNode node;
        try {
            node = mapper().readTree(line);
        } catch (Exception e) {
            return malformed(line, sourceFile);
        }
        if (node == null || !node.isObject()) {
            return malformed(line, sourceFile);
        }
        Object[] values = new Object[RawEvents.READ_SCHEMA.size()];
        try {
            values[0] = string(node, RawEvents.EVENT_ID);
            values[1] = string(node, RawEvents.SHIPMENT_ID);
            values[2] = timestamp(node, RawEvents.EVENT_TIMESTAMP);
            values[3] = string(node, RawEvents.EVENT_TYPE);
            values[4] = string(node, RawEvents.STATUS);
            values[5] = string(node, RawEvents.LOCATION_ID);
            values[6] = timestamp(node, RawEvents.INGESTED_AT);
        } catch (IllegalArgumentException e) {
            return malformed(line, sourceFile);
        }
        values[7] = line;
        values[8] = sourceFile;
        values[9] = false;
        return RowFactory.create(values);
    }

    private static Row malformed(String line, String sourceFile) {
        return malformed(line, sourceFile, null);
    }

    /** A malformed row: its raw record, its file, and what is wrong with it when the reader can say (else null). */
    public static Row malformed(String line, String sourceFile, String detail) {
        Object[] values = new Object[RawEvents.READ_SCHEMA.size()];
        values[7] = line;
        values[8] = sourceFile;
        values[9] = true;
        values[10] = detail;
        return RowFactory.create(values);
    }

    private static String string(JsonNode object, String field) {
        JsonNode v = object.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(field + " is not a string");
        }
        return v.textValue();
    }

    private static Timestamp timestamp(JsonNode object, String field) {
        String text = string(object, field);
        if (text == null) {
            return null;
        }
        Instant instant = parseTimestamp(text);
        if (instant == null) {
            throw new IllegalArgumentException(field + " is not an ISO-8601 date-time");
        }
        return Timestamp.from(instant);
    }

    /** The instant a contract timestamp string stands for, or null when it is outside the form. */
    public static Instant parseTimestamp(String text) {
        Matcher m = TIMESTAMP.matcher(text);
        if (!m.matches()) {
            return null;
        }
        try {
            String fraction = m.group(7) == null ? "" : m.group(7);
            int nanos = fraction.isEmpty() ? 0 : Integer.parseInt((fraction + "000000000").substring(0, 9));
            LocalDateTime local = LocalDateTime.of(
                    Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), Integer.parseInt(m.group(6)), nanos);
            String offset = m.group(8);
            ZoneOffset zone = offset == null || offset.equals("Z") ? ZoneOffset.UTC : ZoneOffset.of(offset);
            return local.toInstant(zone);
        } catch (DateTimeException | NumberFormatException e) {
            return null;
        }
    }
}
