package com.shipmenttimeline.testing;

import com.shipmenttimeline.schemas.RawEvents;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;

/** A raw folder in the contract's layout, for tests that drop event files in as they would arrive. */
public final class RawFolder {
    private final Path root;
    private int files;

    public RawFolder(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** Writes events as one Parquet file in the arrival folder of {@code arrival}. */
    public RawFolder parquet(LocalDate arrival, List<ReferenceTimeline.Event> events) {
        List<Row> rows = new ArrayList<>();
        for (ReferenceTimeline.Event e : events) {
            Timestamp ts = TimelineFrames.micros(e.ts());
            rows.add(RowFactory.create(e.eventId(), e.shipmentId(), ts, "SCAN", e.status(), e.locationId(), ts));
        }
        parquet(arrival, SharedSpark.get().createDataFrame(rows, RawEvents.EVENT_SCHEMA), "batch-" + (++files) + ".parquet");
        return this;
    }

    /** Writes any rows (any schema: drift, wrong types) as one Parquet file of that name, replacing one there. */
    public Path parquet(LocalDate arrival, Dataset<Row> rows, String name) {
        Path scratch = root.resolve("_scratch");
        rows.coalesce(1).write().mode(SaveMode.Overwrite).parquet(scratch.toString());
        try (Stream<Path> parts = Files.list(scratch)) {
            Path part = parts.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Path target = folder(arrival).resolve(name);
            Files.move(part, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            deleteTree(scratch);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes JSON lines as they are, as one .jsonl file in the arrival folder. */
    public RawFolder jsonLines(LocalDate arrival, List<String> lines) {
        try {
            Files.write(folder(arrival).resolve("batch-" + (++files) + ".jsonl"), lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** An event as the JSON line a producer would send (microsecond timestamp, UTC). */
    public static String json(ReferenceTimeline.Event e) {
        Instant ts = Instant.ofEpochSecond(Math.floorDiv(e.ts(), 1_000_000L), Math.floorMod(e.ts(), 1_000_000L) * 1000L);
        return "{\"event_id\":\"" + e.eventId() + "\",\"shipment_id\":\"" + e.shipmentId() + "\",\"event_timestamp\":\"" + ts
                + "\",\"event_type\":\"SCAN\",\"status\":\"" + e.status() + "\""
                + (e.locationId() == null ? "" : ",\"location_id\":\"" + e.locationId() + "\"") + ",\"ingested_at\":\"" + ts + "\"}";
    }

    /** Locations L1..L3 and one package per shipment S0..S{n-1}, with a promise on even ones. */
    public RawFolder reference(int shipments, Instant promiseBase) {
        List<Row> locations = List.of(RowFactory.create("L1", "One", "r1", "US", "UTC"), RowFactory.create("L2", "Two", "r2", "US", "UTC"),
                RowFactory.create("L3", "Three", "r1", "DE", "UTC"));
        SharedSpark.get().createDataFrame(locations, RawEvents.LOCATION_SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite)
                .parquet(root.resolve(RawEvents.LOCATIONS_DIR).toString());
        List<Row> packages = new ArrayList<>();
        for (int s = 0; s < shipments; s++) {
            packages.add(RowFactory.create("P" + s, "S" + s, 1.0 + s, s % 2 == 0 ? Timestamp.from(promiseBase.plusSeconds(3600L * s)) : null));
        }
        SharedSpark.get().createDataFrame(packages, RawEvents.PACKAGE_SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite)
                .parquet(root.resolve(RawEvents.PACKAGES_DIR).toString());
        return this;
    }

    /** The arrival folder of a day, created if need be. */
    public Path folder(LocalDate arrival) throws IOException {
        return Files.createDirectories(root.resolve(RawEvents.EVENTS_DIR).resolve("ingest_date=" + arrival));
    }

    public static LocalDate dateOf(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L)).atZone(ZoneOffset.UTC).toLocalDate();
    }

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> all = Files.walk(p)) {
            for (Path x : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
