package com.shipmenttimeline.jobs.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.schemas.SqlDialect;
import com.shipmenttimeline.schemas.StorageLimits;
import com.shipmenttimeline.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawEventSourceTest {
    @TempDir
    Path raw;

    private static final String LINE = "{\"event_id\":\"%s\",\"shipment_id\":\"s1\",\"event_timestamp\":\"2025-07-11T10:00:00Z\",\"status\":\"A\"}";

    private Path day(String date) throws IOException {
        return Files.createDirectories(raw.resolve(RawEvents.EVENTS_DIR).resolve("ingest_date=" + date));
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    private RawEventSource source() {
        return new RawEventSource(SharedSpark.get(), raw.toString(), StorageLimits.of(SqlDialect.POSTGRES), 1 << 20);
    }

    /** Each malformed row's raw record and detail, by its first 12 characters. */
    private static java.util.Map<String, String> malformedDetails(Dataset<Row> rows) {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        for (Row r : rows.filter(org.apache.spark.sql.functions.col(RawEvents.MALFORMED)).collectAsList()) {
            String rawRecord = r.getAs(RawEvents.RAW_RECORD);
            out.put(rawRecord.substring(0, Math.min(12, rawRecord.length())), r.getAs(RawEvents.MALFORMED_DETAIL));
        }
        return out;
    }

    /**
     * A Parquet file whose footer is garbage between good magic numbers fails in the task that opens it,
     * and Spark's error names no file ("the footer index is not within the file"); found on YARN. The
     * source names it.
     */
    @Test
    void aParquetFileWithAGarbageFooterIsNamedWhenTheReadFails() throws IOException {
        Path d = day("2025-07-11");
        Files.writeString(d.resolve("good.jsonl"), String.format(LINE, "a"));
        Files.write(d.resolve("framed.parquet"), "PAR1 not a parquet file at all PAR1".getBytes(StandardCharsets.US_ASCII));
        RawEventSource source = source();
        Dataset<Row> rows = source.read(source.listFrom(LocalDate.parse("2025-07-01")));
        Exception thrown = assertThrows(Exception.class, () -> rows.collectAsList()); // SparkException, checked, thrown undeclared
        RuntimeException failure = new IllegalStateException(thrown.getMessage(), thrown); // as the jobs wrap it
        assertTrue(InputFileException.findIn(failure).isEmpty(), "Spark's own error does not name the file: " + failure.getMessage());
        RuntimeException named = source.nameUnreadableParquet(failure);
        assertTrue(named instanceof InputFileException, String.valueOf(named));
        assertTrue(named.getMessage().contains("framed.parquet") && named.getMessage().contains("corrupt Parquet file"), named.getMessage());
        IllegalStateException unrelated = new IllegalStateException("the warehouse went away");
        assertTrue(source.nameUnreadableParquet(unrelated) == unrelated, "a failure that is not Parquet's is left as it is");
    }

    /** Contract section 5: a line over timeline.validation.max-line-length is quarantined with its first bytes, never held whole. */
    @Test
    void aLineOverTheLengthLimitIsMalformedWithItsFirstBytesAndTheRestOfTheFileIsRead() throws IOException {
        Path d = day("2025-07-11");
        String huge = "{\"event_id\":\"" + "x".repeat(5000) + "\"}";
        Files.writeString(d.resolve("a.jsonl"), String.format(LINE, "a") + "\r\n" + huge + "\r\n" + String.format(LINE, "b"));
        Dataset<Row> rows = new RawEventSource(SharedSpark.get(), raw.toString(), StorageLimits.of(SqlDialect.POSTGRES), 2048)
                .read(source().listFrom(LocalDate.parse("2025-07-01")));
        assertEquals(3, rows.count());
        assertEquals(List.of("a", "b"), rows.filter("NOT _malformed").select("event_id").orderBy("event_id").collectAsList().stream()
                .map(r -> r.getString(0)).toList(), "the lines around it, a CR before the newline dropped");
        Row bad = rows.filter("_malformed").first();
        assertEquals(1024, ((String) bad.getAs(RawEvents.RAW_RECORD)).length());
        assertEquals("line 2 is 5015 bytes, over timeline.validation.max-line-length (2048 bytes); its first 1024 bytes are kept",
                bad.getAs(RawEvents.MALFORMED_DETAIL));
    }

    /** Invalid UTF-8 used to become U+FFFD silently, so two distinct ids could collapse into one and a real event be dropped as a duplicate. */
    @Test
    void invalidUtf8IsMalformedNotReplaced() throws IOException {
        Path d = day("2025-07-11");
        byte[] good = String.format(LINE, "caf\u00e9").getBytes(StandardCharsets.UTF_8);
        byte[] latin1 = String.format(LINE, "caf\u00e9").getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.write(good);
        file.write('\n');
        file.write(latin1);
        file.write('\n');
        Files.write(d.resolve("a.jsonl"), file.toByteArray());
        Dataset<Row> rows = source().read(source().listFrom(LocalDate.parse("2025-07-01")));
        assertEquals(List.of("caf\u00e9"), rows.filter("NOT _malformed").select("event_id").collectAsList().stream().map(r -> r.getString(0)).toList());
        String detail = malformedDetails(rows).values().iterator().next();
        assertTrue(detail.startsWith("line 2 is not valid UTF-8"), detail);
    }

    /** Contract section 5: a value the warehouse cannot store is malformed, naming the column and the limit, per dialect. */
    @Test
    void valuesTheWarehouseCannotStoreAreMalformedNamingTheColumnAndTheLimit() throws IOException {
        Path d = day("2025-07-11");
        Files.writeString(d.resolve("a.jsonl"), String.join("\n",
                String.format(LINE, "ok"),
                String.format(LINE, "nul\\u0000id"),
                String.format(LINE, "long" + "\u00e9".repeat(130)), // 134 characters, 264 bytes
                String.format(LINE, "@NULL@"),
                "{\"event_id\":\"st\",\"shipment_id\":\"s1\",\"event_timestamp\":\"2025-07-11T10:00:00Z\",\"status\":\"@NULL@\"}"));
        List<RawFile> files = source().listFrom(LocalDate.parse("2025-07-01"));
        java.util.Map<String, String> postgres = malformedDetails(source().read(files));
        assertEquals(java.util.Map.of("{\"event_id\":", "event_id holds a NUL character (U+0000), which the warehouse cannot store"), postgres,
                "PostgreSQL stores all but the NUL");
        Dataset<Row> redshift = new RawEventSource(SharedSpark.get(), raw.toString(), StorageLimits.of(SqlDialect.REDSHIFT), 1 << 20).read(files);
        assertEquals(List.of("event_id holds a NUL character (U+0000), which the warehouse cannot store",
                "event_id is 264 bytes in UTF-8, over the warehouse's VARCHAR(256)",
                "event_id is @NULL@, the staging files' null marker",
                "status is @NULL@, the staging files' null marker"),
                redshift.filter("_malformed").select(RawEvents.MALFORMED_DETAIL).orderBy(RawEvents.MALFORMED_DETAIL).collectAsList().stream()
                        .map(r -> r.getString(0)).sorted().toList());
        assertEquals(1, redshift.filter("NOT _malformed").count());
    }

    @Test
    void readsEveryKnownFormatInAnyLetterCaseAndSkipsHiddenFiles() throws IOException {
        Path d = day("2025-07-11");
        Files.writeString(d.resolve("a.json"), String.format(LINE, "a") + "\n\n   \n");
        Files.writeString(d.resolve("b.JSONL"), String.format(LINE, "b") + "\n");
        Files.write(d.resolve("c.ndjson.GZ"), gzip(String.format(LINE, "c") + "\n" + String.format(LINE, "c2")));
        Files.write(d.resolve("d.Jsonl.gz"), gzip(String.format(LINE, "d") + "\n"));
        Files.writeString(d.resolve("_SUCCESS"), "");
        Files.writeString(d.resolve(".hidden.crc"), "junk");
        SharedSpark.rows(RawEvents.EVENT_SCHEMA, new Object[] {"p", "s1", Timestamp.from(Instant.parse("2025-07-11T10:00:00Z")),
            null, "A", null, null}).coalesce(1).write().mode(SaveMode.Overwrite).parquet(raw.resolve("tmp").toString());
        try (var files = Files.list(raw.resolve("tmp"))) {
            Path part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Files.copy(part, d.resolve("e.PARQUET"));
        }
        Files.createDirectories(raw.resolve(RawEvents.EVENTS_DIR).resolve("_temporary"));

        List<RawFile> files = source().listFrom(LocalDate.parse("2025-07-01"));
        assertEquals(5, files.size(), files.toString());
        Dataset<Row> rows = source().read(files);
        assertEquals(List.of("a", "b", "c", "c2", "d", "p"),
                rows.select("event_id").orderBy("event_id").collectAsList().stream().map(r -> r.getString(0)).toList(),
                "blank lines are not rows");
    }

    @Test
    void referenceFilesAreReadAsTheyAreAndCastToTheContract() throws IOException {
        // packages: an integer weight and a naive promise in Parquet; a CSV with a column missing
        SharedSpark.get().sql("SELECT 'p1' AS package_id, 's1' AS shipment_id, 3 AS weight_kg,"
                + " TIMESTAMP_NTZ '2025-07-05 10:00:00' AS promised_delivery_timestamp, 'x' AS extra")
                .coalesce(1).write().mode(SaveMode.Overwrite).parquet(raw.resolve("packages/a").toString());
        Files.writeString(raw.resolve("packages/b.csv"), "package_id,shipment_id,weight_kg\np2,s1,1.5\n");
        Files.createDirectories(raw.resolve("locations"));
        Files.writeString(raw.resolve("locations/l.jsonl"), "{\"location_id\":\"L1\",\"location_name\":\"One\"}\n");
        ReferenceData ref = new ReferenceData(SharedSpark.get(), raw.toString());
        List<Row> packages = ref.packages().orderBy("package_id").collectAsList();
        assertEquals(2, packages.size());
        assertEquals(3.0, packages.get(0).getDouble(2));
        assertEquals(Timestamp.from(Instant.parse("2025-07-05T10:00:00Z")), packages.get(0).getTimestamp(3));
        assertEquals(1.5, packages.get(1).getDouble(2));
        assertTrue(packages.get(1).isNullAt(3));
        Row location = ref.locations().first();
        assertEquals("One", location.getString(1));
        assertTrue(location.isNullAt(2), "region missing: null");
    }

    @Test
    void aFileHasOneCanonicalNameHoweverItIsSpelled() {
        String c = RawFile.canonical("file:/data/raw/shipment_events/ingest_date=2025-07-11/a b.json");
        assertEquals(c, RawFile.canonical("file:///data/raw/shipment_events/ingest_date=2025-07-11/a%20b.json"));
        assertEquals("s3a://bucket/raw/x.parquet", RawFile.canonical("s3a://bucket/raw/x.parquet"));
    }

    @Test
    void onlyFoldersOnOrAfterTheDateAreListed() throws IOException {
        Files.writeString(day("2025-07-01").resolve("a.json"), String.format(LINE, "a"));
        Files.writeString(day("2025-07-02").resolve("b.json"), String.format(LINE, "b"));
        assertEquals(1, source().listFrom(LocalDate.parse("2025-07-02")).size());
    }

    @Test
    void anUnknownExtensionStopsTheRunNamingTheFile() throws IOException {
        Files.writeString(day("2025-07-11").resolve("events.csv"), "a,b");
        InputFileException e = assertThrows(InputFileException.class, () -> source().listFrom(LocalDate.parse("2025-07-01")));
        assertTrue(e.getMessage().contains("events.csv"), e.getMessage());
    }

    @Test
    void aFolderThatIsNotAnIngestDateStopsTheRun() throws IOException {
        Files.createDirectories(raw.resolve(RawEvents.EVENTS_DIR).resolve("2025-07-11"));
        InputFileException e = assertThrows(InputFileException.class, () -> source().listFrom(LocalDate.parse("2025-07-01")));
        assertTrue(e.getMessage().contains("2025-07-11"), e.getMessage());
    }

    @Test
    void aTruncatedGzipStopsTheRunNamingTheFile() throws IOException {
        byte[] whole = gzip((String.format(LINE, "x") + "\n").repeat(200));
        Files.write(day("2025-07-11").resolve("cut.jsonl.gz"), java.util.Arrays.copyOf(whole, whole.length / 2));
        Exception e = assertThrows(Exception.class,
                () -> source().read(source().listFrom(LocalDate.parse("2025-07-01"))).count());
        String found = InputFileException.findIn(e).orElseThrow(() -> new AssertionError(e));
        assertTrue(found.contains("cut.jsonl.gz"), found);
    }

    @Test
    void aCorruptParquetFileStopsTheRun() throws IOException {
        Files.writeString(day("2025-07-11").resolve("bad.parquet"), "this is not parquet at all");
        Exception e = assertThrows(Exception.class,
                () -> source().read(source().listFrom(LocalDate.parse("2025-07-01"))).count());
        String found = InputFileException.findIn(e).orElseThrow(() -> new AssertionError(e));
        assertTrue(found.contains("bad.parquet"), found);
    }

    @Test
    void parquetTimestampsWithAndWithoutUtcAdjustmentReadTheSame() throws IOException {
        Path d = day("2025-07-11");
        // A naive (TIMESTAMP_NTZ, isAdjustedToUTC=false) column: taken as UTC.
        SharedSpark.get().sql("SELECT 'n' AS event_id, 's' AS shipment_id, TIMESTAMP_NTZ '2025-07-11 10:00:00.123456' AS event_timestamp,"
                + " 'A' AS status").coalesce(1).write().mode(SaveMode.Overwrite).parquet(raw.resolve("ntz").toString());
        SharedSpark.get().sql("SELECT 'u' AS event_id, 's' AS shipment_id, TIMESTAMP '2025-07-11 10:00:00.123456' AS event_timestamp,"
                + " 'A' AS status, 42 AS some_new_column").coalesce(1).write().mode(SaveMode.Overwrite).parquet(raw.resolve("ltz").toString());
        for (String f : List.of("ntz", "ltz")) {
            try (var files = Files.list(raw.resolve(f))) {
                Files.copy(files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow(), d.resolve(f + ".parquet"));
            }
        }
        List<Row> rows = source().read(source().listFrom(LocalDate.parse("2025-07-01"))).orderBy("event_id").collectAsList();
        Timestamp expected = Timestamp.from(Instant.parse("2025-07-11T10:00:00.123456Z"));
        assertEquals(expected, rows.get(0).getTimestamp(2));
        assertEquals(expected, rows.get(1).getTimestamp(2));
        assertTrue(rows.get(0).isNullAt(6), "a missing optional column reads as null");
    }

    /** The stream's glob takes every arrival folder from a date on and none before, whatever the date (every day of 32 years). */
    @Test
    void theFolderGlobMatchesExactlyTheDatesFromItsFirst() {
        for (LocalDate from : List.of(LocalDate.parse("2025-07-01"), LocalDate.parse("2025-12-31"), LocalDate.parse("2029-09-09"),
                LocalDate.parse("2000-01-10"), LocalDate.parse("2019-10-29"))) {
            String glob = "{" + String.join(",", RawEventSource.datesFrom(from.toString())) + "}";
            org.apache.hadoop.fs.GlobPattern pattern = new org.apache.hadoop.fs.GlobPattern(glob);
            for (LocalDate d = LocalDate.parse("1999-01-01"); d.isBefore(LocalDate.parse("2031-01-01")); d = d.plusDays(1)) {
                assertEquals(!d.isBefore(from), pattern.matches(d.toString()), glob + " on " + d);
            }
        }
    }

    /** Through the file system, as the stream lists: only the folders from the first open one, and each file in them. */
    @Test
    void theStreamListsOnlyTheFoldersFromTheFirstOpenOne() throws IOException {
        for (String date : List.of("2024-12-31", "2025-06-30", "2025-07-01", "2025-07-02", "2025-10-01", "2026-01-01")) {
            Files.writeString(day(date).resolve("a.json"), String.format(LINE, date));
        }
        org.apache.hadoop.fs.Path glob = new org.apache.hadoop.fs.Path(source().foldersFrom(LocalDate.parse("2025-07-01")));
        List<String> matched = java.util.Arrays.stream(glob.getFileSystem(SharedSpark.get().sparkContext().hadoopConfiguration()).globStatus(glob))
                .map(f -> f.getPath().getName()).sorted().toList();
        assertEquals(List.of("ingest_date=2025-07-01", "ingest_date=2025-07-02", "ingest_date=2025-10-01", "ingest_date=2026-01-01"), matched);
    }

    /** The stream does not list what is not a date folder, so the run names it at its start. */
    @Test
    void aMisplacedEntryBesideTheDateFoldersIsNamed() throws IOException {
        Files.writeString(day("2025-07-01").resolve("a.json"), String.format(LINE, "e1"));
        source().checkFolders();
        Files.writeString(raw.resolve(RawEvents.EVENTS_DIR).resolve("stray.json"), String.format(LINE, "e2"));
        InputFileException e = assertThrows(InputFileException.class, () -> source().checkFolders());
        assertTrue(e.getMessage().contains("stray.json") && e.getMessage().contains("ingest_date=YYYY-MM-DD"), e.getMessage());
    }
}
