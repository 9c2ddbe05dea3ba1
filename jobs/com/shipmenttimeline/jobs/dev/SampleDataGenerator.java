package com.shipmenttimeline.jobs.dev;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.source.RawEventSource;
import com.shipmenttimeline.jobs.source.RawFile;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.shipmenttimeline.schemas.RawEvents;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Writes sample raw data in the contract's layout: shipment events in {@code ingest_date=} folders
 * (Parquet, JSON Lines and gzip JSON Lines), locations and packages. Shipments follow realistic
 * lifecycles (label, pick-up, facility hops with repeated scans, delivery, the odd exception and
 * return). With a defect rate, that share of rows carries one defect of contract section 2.
 * Each shipment draws from its own seeded stream, so the same seed gives the same data at any
 * parallelism.
 */
public final class SampleDataGenerator {
    public static final int LOCATIONS = 200;
    private static final double AVERAGE_EVENTS_PER_SHIPMENT = 11.0;
    private static final String[] REGIONS = {"us-east", "us-west", "us-central", "eu-west", "eu-central", "apac"};
    private static final String[] COUNTRIES = {"US", "US", "US", "IE", "DE", "SG"};
    private static final String[] ZONES = {"America/New_York", "America/Los_Angeles", "America/Chicago", "Europe/Dublin",
        "Europe/Berlin", "Asia/Singapore"};

    /** The generated row: the event columns, then where it goes and, for a malformed line, its text. */
    static final StructType GENERATED = RawEvents.EVENT_SCHEMA
            .add("ingest_date", DataTypes.StringType)
            .add("format", DataTypes.StringType)
            .add("line", DataTypes.StringType);

    private final SparkSession spark;
    private final String rawRoot;

    public SampleDataGenerator(SparkSession spark, String rawRoot) {
        this.spark = spark;
        this.rawRoot = rawRoot;
    }

    /** What was written. */
    public record Written(long shipments, long events, long heldBack, LocalDate firstDay, LocalDate lastDay) {}

    public Written generate(Settings.GeneratorSettings s) {
        LocalDate end = s.endDate().orElse(LocalDate.now(ZoneOffset.UTC));
        LocalDate first = end.minusDays(s.days() - 1L);
        long shipments = Math.max(1, Math.round(s.events() / AVERAGE_EVENTS_PER_SHIPMENT));
        Instant from = first.atStartOfDay(ZoneOffset.UTC).toInstant();
        // With no end date the data runs up to now, as a live feed would; never past it.
        Instant until = s.endDate().isPresent() ? untilOf(end) : Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        ShipmentLifecycle lifecycle = new ShipmentLifecycle(s.seed(), from.getEpochSecond() * 1_000_000L,
                until.getEpochSecond() * 1_000_000L, s.defectRate(), s.jsonShare());
        int slices = (int) Math.max(2, Math.min(64, shipments / 20_000));
        Dataset<Row> rows = spark.range(0, shipments, 1, slices)
                .flatMap((FlatMapFunction<Long, Row>) lifecycle::events, Encoders.row(GENERATED))
                .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        try {
            // Held back: the newest events, as files that arrive after a base run would have run.
            org.apache.spark.sql.Column held = org.apache.spark.sql.functions.coalesce(
                    col(RawEvents.EVENT_TIMESTAMP).geq(org.apache.spark.sql.functions.lit(Timestamp.from(until.minus(s.holdBack())))),
                    org.apache.spark.sql.functions.lit(false));
            writeEvents(rows.filter(org.apache.spark.sql.functions.not(held)), rawRoot);
            long heldBack = 0;
            if (!s.holdBack().isZero()) {
                Dataset<Row> later = rows.filter(held);
                heldBack = later.count();
                writeEvents(later, s.incoming());
            }
            long count = rows.count();
            writeReference(shipments, s.seed(), from);
            return new Written(shipments, count, heldBack, first, end);
        } finally {
            rows.unpersist();
        }
    }

    private void writeEvents(Dataset<Row> rows, String root) {
        Path events = new Path(root, RawEvents.EVENTS_DIR);
        rows.filter(col("format").equalTo("parquet"))
                .select(col(RawEvents.EVENT_ID), col(RawEvents.SHIPMENT_ID), col(RawEvents.EVENT_TIMESTAMP), col(RawEvents.EVENT_TYPE),
                        col(RawEvents.STATUS), col(RawEvents.LOCATION_ID), col(RawEvents.INGESTED_AT), col("ingest_date"))
                .repartition(col("ingest_date"))
                .write().mode(SaveMode.Append).partitionBy("ingest_date").parquet(events.toString());
        writeJsonLines(rows.filter(col("format").equalTo("jsonl")), root, events, false);
        writeJsonLines(rows.filter(col("format").equalTo("jsonl.gz")), root, events, true);
        try {
            FileSystem fs = events.getFileSystem(spark.sparkContext().hadoopConfiguration());
            fs.delete(new Path(events, "_SUCCESS"), false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Spark's text writer names files .txt: write to a scratch folder, then move them in as .jsonl(.gz). */
    private void writeJsonLines(Dataset<Row> rows, String root, Path eventsRoot, boolean gzip) {
        Path scratch = new Path(root, "_generator_scratch_" + (gzip ? "gz" : "plain"));
        rows.select(col("line"), col("ingest_date")).repartition(col("ingest_date"))
                .write().mode(SaveMode.Overwrite).option("compression", gzip ? "gzip" : "none")
                .partitionBy("ingest_date").text(scratch.toString());
        try {
            FileSystem fs = scratch.getFileSystem(spark.sparkContext().hadoopConfiguration());
            for (FileStatus dir : fs.listStatus(scratch)) {
                if (!dir.isDirectory() || !dir.getPath().getName().startsWith(RawEvents.INGEST_DATE_PREFIX)) {
                    continue;
                }
                Path target = new Path(eventsRoot, dir.getPath().getName());
                fs.mkdirs(target);
                for (FileStatus f : fs.listStatus(dir.getPath())) {
                    String name = f.getPath().getName();
                    if (RawFile.ignored(name)) {
                        continue;
                    }
                    String renamed = name.replace(".txt.gz", ".jsonl.gz").replace(".txt", ".jsonl");
                    if (gzip && !renamed.endsWith(".gz")) {
                        renamed = renamed + ".gz";
                    }
                    fs.rename(f.getPath(), new Path(target, renamed));
                }
            }
            fs.delete(scratch, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move generated JSON files into " + eventsRoot, e);
        }
    }

    private void writeReference(long shipments, long seed, Instant from) {
        List<Row> locations = new ArrayList<>();
        for (int i = 1; i <= LOCATIONS; i++) {
            int r = i % REGIONS.length;
            locations.add(RowFactory.create(locationId(i), "Facility " + i + " (" + REGIONS[r] + ")", REGIONS[r], COUNTRIES[r], ZONES[r]));
        }
        spark.createDataFrame(locations, RawEvents.LOCATION_SCHEMA).coalesce(1)
                .write().mode(SaveMode.Overwrite).parquet(new Path(rawRoot, RawEvents.LOCATIONS_DIR).toString());
        long fromMicros = from.getEpochSecond() * 1_000_000L;
        Dataset<Row> packages = spark.range(0, shipments).flatMap((FlatMapFunction<Long, Row>) idx -> {
            SplittableRandom rnd = new SplittableRandom(streamSeed(seed, idx, 2));
            int n = 1 + rnd.nextInt(3);
            boolean promised = rnd.nextDouble() > 0.1;
            List<Row> out = new ArrayList<>();
            for (int p = 0; p < n; p++) {
                Double weight = rnd.nextDouble() < 0.05 ? null : Math.round(rnd.nextDouble(0.2, 30.0) * 100) / 100.0;
                Timestamp promise = promised
                        ? micros(fromMicros + rnd.nextLong(0, 14L * 86_400_000_000L) + rnd.nextLong(2 * 86_400_000_000L, 5 * 86_400_000_000L))
                        : null;
                out.add(RowFactory.create("PKG-" + shipmentId(idx) + "-" + p, shipmentId(idx), weight, promise));
            }
            return out.iterator();
        }, Encoders.row(RawEvents.PACKAGE_SCHEMA));
        packages.write().mode(SaveMode.Overwrite).parquet(new Path(rawRoot, RawEvents.PACKAGES_DIR).toString());
    }

    /**
     * An independent seed per (seed, shipment, purpose). Seeds that differ by a multiple of
     * SplittableRandom's own gamma would give shifted copies of one stream, so mix first.
     */
    static long streamSeed(long seed, long idx, int purpose) {
        return mix64(mix64(seed) ^ mix64(idx * 4 + purpose));
    }

    /** MurmurHash3's 64-bit finaliser. */
    static long mix64(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    static String shipmentId(long idx) {
        return String.format("SHP-%08d", idx);
    }

    static String locationId(int i) {
        return String.format("LOC-%03d", i);
    }

    static Timestamp micros(long epochMicros) {
        Timestamp t = new Timestamp(Math.floorDiv(epochMicros, 1000));
        t.setNanos((int) Math.floorMod(epochMicros, 1_000_000L) * 1000);
        return t;
    }

    /** One shipment's events. Serializable: it runs inside Spark tasks. */
    static final class ShipmentLifecycle implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private static final long MINUTE = 60_000_000L;
        private static final long HOUR = 60 * MINUTE;
        private static final DateTimeFormatter ISO_MICROS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS");

        private final long seed;
        private final long fromMicros;
        private final long untilMicros;
        private final double defectRate;
        private final double jsonShare;

        ShipmentLifecycle(long seed, long fromMicros, long untilMicros, double defectRate, double jsonShare) {
            this.jsonShare = jsonShare;
            this.seed = seed;
            this.fromMicros = fromMicros;
            this.untilMicros = untilMicros;
            this.defectRate = defectRate;
        }

        java.util.Iterator<Row> events(Long idx) {
            SplittableRandom rnd = new SplittableRandom(streamSeed(seed, idx, 1));
            String shipment = shipmentId(idx);
            List<String[]> steps = new ArrayList<>();
            int origin = 1 + rnd.nextInt(LOCATIONS);
            steps.add(new String[] {"STATUS_UPDATE", "LABEL_CREATED", rnd.nextDouble() < 0.3 ? null : locationId(origin)});
            steps.add(new String[] {"SCAN", "PICKED_UP", locationId(origin)});
            int hops = 1 + rnd.nextInt(4);
            int here = origin;
            for (int h = 0; h < hops; h++) {
                steps.add(new String[] {"SCAN", "IN_TRANSIT", rnd.nextDouble() < 0.5 ? null : locationId(here)});
                if (rnd.nextDouble() < 0.4) {
                    steps.add(new String[] {"SCAN", "IN_TRANSIT", null});
                }
                here = 1 + rnd.nextInt(LOCATIONS);
                steps.add(new String[] {"SCAN", "ARRIVED_AT_FACILITY", locationId(here)});
                if (rnd.nextDouble() < 0.05) {
                    steps.add(new String[] {"EXCEPTION", "EXCEPTION", locationId(here)});
                }
                steps.add(new String[] {"SCAN", "DEPARTED_FACILITY", locationId(here)});
            }
            if (rnd.nextDouble() < 0.03) {
                steps.add(new String[] {"STATUS_UPDATE", "RETURNED_TO_SENDER", locationId(here)});
            } else {
                steps.add(new String[] {"SCAN", "OUT_FOR_DELIVERY", locationId(here)});
                steps.add(new String[] {"STATUS_UPDATE", "DELIVERED", rnd.nextDouble() < 0.5 ? null : locationId(here)});
            }
            long span = untilMicros - fromMicros;
            long ts = fromMicros + rnd.nextLong(span);
            List<Row> out = new ArrayList<>();
            for (int i = 0; i < steps.size(); i++) {
                if (i > 0 && rnd.nextDouble() >= 0.02) { // 2% share the previous timestamp exactly: ties
                    ts += rnd.nextLong(10 * MINUTE, 18 * HOUR) + rnd.nextLong(1_000_000L);
                }
                if (ts >= untilMicros) {
                    break; // still on its way when the data ends
                }
                String[] step = steps.get(i);
                String eventId = "EV-" + Long.toHexString(rnd.nextLong() & Long.MAX_VALUE);
                long ingested = ts + rnd.nextLong(MINUTE, 45 * MINUTE);
                Event e = new Event(eventId, shipment, ts, step[0], step[1], step[2], ingested);
                double f = rnd.nextDouble();
                String format = f < 1 - jsonShare ? "parquet" : f < 1 - jsonShare / 2 ? "jsonl" : "jsonl.gz";
                if (defectRate > 0 && rnd.nextDouble() < defectRate) {
                    addDefective(out, e, rnd, format);
                } else {
                    out.add(e.row(format, rnd));
                }
            }
            return out.iterator();
        }

        private void addDefective(List<Row> out, Event e, SplittableRandom rnd, String format) {
            switch (rnd.nextInt(9)) {
                case 0 -> { // the same event sent twice, the second later
                    out.add(e.row(format, rnd));
                    out.add(e.withIngested(e.ingested + rnd.nextLong(HOUR, 6 * HOUR)).row("parquet", rnd));
                }
                case 1 -> out.add(e.withEventId(rnd.nextBoolean() ? null : "  ").row(format, rnd));
                case 2 -> out.add(e.withShipment(rnd.nextBoolean() ? null : "").row(format, rnd));
                case 3 -> out.add(e.withTs(null).row(format, rnd));
                case 4 -> out.add(e.withStatus(rnd.nextBoolean() ? null : "\t").row(format, rnd));
                case 5 -> out.add(e.withTs(e.ts + 40L * 24 * HOUR).row(format, rnd)); // far future
                case 6 -> out.add(e.withTs(e.ts - 60L * 24 * HOUR).row(format, rnd)); // history before any window
                case 7 -> out.add(e.withLocation("LOC-X" + rnd.nextInt(1000)).row(format, rnd)); // unknown location, still valid
                default -> out.add(malformed(e, rnd));
            }
        }

        private static Row malformed(Event e, SplittableRandom rnd) {
            String line = switch (rnd.nextInt(5)) {
                case 0 -> "{\"event_id\": \"" + e.eventId + "\", \"shipment_id\": ";
                case 1 -> "[\"" + e.eventId + "\"]";
                case 2 -> "{\"event_id\": 12345, \"shipment_id\": \"" + e.shipment + "\", \"event_timestamp\": \"" + iso(e.ts) + "Z\", \"status\": \"X\"}";
                case 3 -> "{\"event_id\": \"" + e.eventId + "\", \"shipment_id\": \"" + e.shipment
                        + "\", \"event_timestamp\": \"07/11/2025 10:00\", \"status\": \"" + e.status + "\"}";
                default -> "{\"event_id\": \"" + e.eventId + "\", \"shipment_id\": {\"id\": \"" + e.shipment + "\"}, \"event_timestamp\": \""
                        + iso(e.ts) + "Z\", \"status\": \"" + e.status + "\"}";
            };
            return RowFactory.create(null, null, null, null, null, null, null, ingestDate(e.ingested), "jsonl", line);
        }

        static String iso(long micros) {
            return ISO_MICROS.format(java.time.LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                    (int) Math.floorMod(micros, 1_000_000L) * 1000, ZoneOffset.UTC));
        }

        static String ingestDate(long micros) {
            return LocalDate.ofEpochDay(Math.floorDiv(micros, 86_400_000_000L)).toString();
        }

        private record Event(String eventId, String shipment, Long ts, String type, String status, String location, long ingested) {
            Event withEventId(String v) { return new Event(v, shipment, ts, type, status, location, ingested); }
            Event withShipment(String v) { return new Event(eventId, v, ts, type, status, location, ingested); }
            Event withTs(Long v) { return new Event(eventId, shipment, v, type, status, location, ingested); }
            Event withStatus(String v) { return new Event(eventId, shipment, ts, type, v, location, ingested); }
            Event withLocation(String v) { return new Event(eventId, shipment, ts, type, status, v, ingested); }
            Event withIngested(long v) { return new Event(eventId, shipment, ts, type, status, location, v); }

            Row row(String format, SplittableRandom rnd) {
                String line = format.equals("parquet") ? null : json(rnd);
                return RowFactory.create(eventId, shipment, ts == null ? null : micros(ts), type, status, location,
                        micros(ingested), ingestDate(ingested), format, line);
            }

            /** A JSON line; timestamps in the forms the contract allows: Z, an offset, or none (UTC). */
            private String json(SplittableRandom rnd) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                o.put(RawEvents.EVENT_ID, eventId);
                o.put(RawEvents.SHIPMENT_ID, shipment);
                if (ts != null) {
                    o.put(RawEvents.EVENT_TIMESTAMP, switch (rnd.nextInt(3)) {
                        case 0 -> iso(ts) + "Z";
                        case 1 -> iso(ts + 2 * HOUR) + "+02:00";
                        default -> iso(ts);
                    });
                } else {
                    o.putNull(RawEvents.EVENT_TIMESTAMP);
                }
                o.put(RawEvents.EVENT_TYPE, type);
                o.put(RawEvents.STATUS, status);
                o.put(RawEvents.LOCATION_ID, location);
                o.put(RawEvents.INGESTED_AT, iso(ingested) + "Z");
                return o.toString();
            }
        }
    }

    /** True when the events folder holds no arrival folder yet. */
    public static boolean needsSample(SparkSession spark, String rawRoot) {
        return new RawEventSource(spark, rawRoot, com.shipmenttimeline.schemas.StorageLimits.of(com.shipmenttimeline.schemas.SqlDialect.POSTGRES), 1 << 20).isEmpty();
    }

    static Instant untilOf(LocalDate end) {
        return end.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
