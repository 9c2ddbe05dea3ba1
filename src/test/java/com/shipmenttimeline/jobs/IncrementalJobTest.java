package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.cli.CommandLine;
import com.shipmenttimeline.jobs.run.RunRequest;
import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.jobs.run.DailyBaseJob;
import com.shipmenttimeline.jobs.run.IncrementalJob;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.jobs.warehouse.Retry;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.jobs.warehouse.WarehouseBusyException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.RawFolder;
import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.SharedSpark;
import com.shipmenttimeline.testing.TestWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterTry;
import org.junit.jupiter.api.Test;

/** The incremental job against real PostgreSQL and Delta, the streaming source reading real files. */
class IncrementalJobTest {
    static final long DAY = 86_400_000_000L;
    static final long D0 = 1_751_328_000_000_000L; // 2025-07-01T00:00:00Z
    static final String[] STATUSES = {"PICKED_UP", "IN_TRANSIT", "IN_TRANSIT", "ARRIVED_AT_FACILITY", "DELIVERED"};
    static final String[] LOCATIONS = {null, "L1", "L2", "L3", "L9"};

    /** One warehouse schema, lake, raw folder and streaming checkpoint: a deployment of its own. */
    static final class Deployment {
        final String schema = TestWarehouse.freshSchema();
        final Path dir;
        final RawFolder raw;

        /** Where the jobs read raw files and keep the lake and the streaming checkpoint: local folders unless {@link #onS3}. */
        String rawUri;
        String lakeUri;
        String streamUri;

        Deployment(Path dir) throws java.io.IOException {
            this.dir = Files.createDirectories(dir);
            this.raw = new RawFolder(dir.resolve("raw"));
            this.rawUri = raw.root().toString();
            this.lakeUri = dir.resolve("lake").toString();
            this.streamUri = dir.resolve("stream").toString();
        }

        /** Raw files, lake and streaming checkpoint under this s3a:// prefix; raw files are uploaded before each run. */
        Deployment onS3(String prefix) {
            rawUri = prefix + "/raw";
            lakeUri = prefix + "/lake";
            streamUri = prefix + "/stream";
            return this;
        }

        /** Uploads the raw files written locally since the last upload (when the raw folder is remote). */
        void upload() {
            if (rawUri.equals(raw.root().toString())) {
                return;
            }
            org.apache.hadoop.conf.Configuration conf = SharedSpark.get().sparkContext().hadoopConfiguration();
            try (Stream<Path> files = Files.walk(raw.root())) {
                for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).toList()) {
                    org.apache.hadoop.fs.Path to = new org.apache.hadoop.fs.Path(rawUri + "/" + raw.root().relativize(f).toString().replace('\\', '/'));
                    org.apache.hadoop.fs.FileSystem fs = to.getFileSystem(conf);
                    if (!fs.exists(to)) {
                        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(f.toUri()), to);
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        TimelineLake lake() {
            return new TimelineLake(SharedSpark.get(), lakeUri);
        }

        /** How the jobs reach the warehouse (a proxy can stand in between). */
        String jdbcUrl = TestWarehouse.jdbcUrl();

        /** How the jobs' warehouse retries a connection that cannot be made or drops. */
        Retry retry = Retry.DEFAULT;

        /** A materialized realtime view instead of the default plain one. */
        boolean materialized;

        Warehouse warehouse() {
            return materialized ? TestWarehouse.openMaterialized(schema, jdbcUrl, retry) : TestWarehouse.open(schema, jdbcUrl, retry);
        }

        /** Further settings every job of this deployment gets. */
        final List<String> extra = new ArrayList<>();

        Settings settings(String... more) {
            List<String> o = new ArrayList<>(TestWarehouse.overrides(schema));
            o.add("warehouse.jdbc-url=\"" + jdbcUrl + "\"");
            o.add("paths.raw=\"" + rawUri + "\"");
            o.add("paths.lake=\"" + lakeUri + "\"");
            o.add("paths.streaming-checkpoint=\"" + streamUri + "\"");
            o.add("incremental.max-files-per-trigger=2");
            o.addAll(extra);
            o.addAll(List.of(more));
            return Settings.load(null, o);
        }

        DailyBaseJob.RunResult base(String... args) {
            upload();
            try (Warehouse w = warehouse()) {
                return new DailyBaseJob(SharedSpark.get(), settings(), w, Clock.systemUTC()).run(CommandLine.parse(args).request());
            }
        }

        /** What the last incremental run asked of the warehouse: bulk loads, bulk reads, staging tables, keyed queries. */
        com.shipmenttimeline.jobs.warehouse.RoundTrips.Counts lastTrips;
        /** How many warehouse connections the last incremental run opened. */
        long lastConnections;

        IncrementalJob.RunResult incremental(String... args) {
            upload();
            try (Warehouse w = warehouse()) {
                String[] all = Stream.concat(Stream.of("--mode", "incremental"), Stream.of(args)).toArray(String[]::new);
                IncrementalJob.RunResult r = new IncrementalJob(SharedSpark.get(), settings(), w, Clock.systemUTC()).run(CommandLine.parse(all).request());
                lastTrips = w.roundTrips().now();
                lastConnections = w.connectionsMade();
                return r;
            }
        }

        String t(String table) {
            return schema + "." + table;
        }

        /** A deployment with reference data for S0..S{shipments-1} and one stored event, a1 of S0, from a base run. */
        static Deployment withOneStoredEvent(Path dir, int shipments) throws java.io.IOException {
            Deployment d = new Deployment(dir);
            d.raw.reference(shipments, Instant.parse("2025-07-04T00:00:00Z"));
            d.raw.parquet(LocalDate.parse("2025-07-02"), List.of(new Event("S0", "a1", D0 + DAY, "PICKED_UP", "L1", null)));
            d.base("--mode", "daily_base", "--as-of", "2025-07-03T00:00:00Z");
            return d;
        }

        /** The view's rows with the processing metadata left out, by event id; the state table is checked against the stored rows first. */
        List<Map<String, Object>> timeline() {
            TestWarehouse.assertStateMatchesRows(schema);
            List<Map<String, Object>> rows = TestWarehouse.query("SELECT * FROM " + t("shipment_timeline_realtime") + " ORDER BY event_id");
            for (Map<String, Object> r : rows) {
                for (String k : List.of("processed_timestamp", "process_type", "incremental_batch_id", "incremental_processed_at")) {
                    r.remove(k);
                }
            }
            return rows;
        }

        Object checkpoint() {
            return TestWarehouse.query("SELECT last_processed_timestamp FROM " + t("processing_checkpoints")).get(0).get("last_processed_timestamp");
        }

        /**
         * The fault suite's check after recovery: exactly {@code events} timeline rows, each event once,
         * every shipment's sequences exactly 1..n, the checkpoint at the newest event in the timeline,
         * every run's counts adding up, no staging table and no lease left behind. Returns what it saw.
         */
        String assertExactlyOnce(long events) {
            String view = t("shipment_timeline_realtime");
            long rows = TestWarehouse.count("SELECT count(*) FROM " + view);
            assertEquals(events, rows, "timeline rows");
            assertEquals(events, TestWarehouse.count("SELECT count(DISTINCT event_id) FROM " + view), "distinct events");
            assertEquals(0, TestWarehouse.count("SELECT count(*) FROM (SELECT shipment_id FROM " + view + " GROUP BY shipment_id"
                    + " HAVING count(*) <> max(event_sequence) OR count(DISTINCT event_sequence) <> count(*)) bad"), "sequences 1..n");
            if (events > 0) {
                assertEquals(TestWarehouse.query("SELECT max(event_timestamp) AS m FROM " + view).get(0).get("m"), checkpoint(),
                        "the checkpoint is at the newest event of the timeline");
            }
            assertEveryRunAddsUp();
            int shipments = TestWarehouse.assertStateMatchesRows(schema);
            assertEquals(0, TestWarehouse.count("SELECT count(*) FROM information_schema.tables WHERE table_schema = '" + schema
                    + "' AND table_name LIKE 'stg%'"), "no staging table left");
            assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + t("timeline_lease") + " WHERE holder_run_id IS NOT NULL"),
                    "the lease is free");
            long runs = TestWarehouse.count("SELECT count(*) FROM " + t("processing_runs") + " WHERE rows_read IS NOT NULL");
            return rows + "/" + events + " events once, sequences 1..n, checkpoint at the newest event, the state of " + shipments
                    + " shipments equal to the stored rows', counts of " + runs + " runs add up";
        }

        void assertEveryRunAddsUp() {
            for (Map<String, Object> run : TestWarehouse.query("SELECT * FROM " + t("processing_runs") + " WHERE rows_read IS NOT NULL")) {
                DailyBaseJobTest.assertCountsAddUp(run);
            }
        }
    }

    static List<Event> randomEvents(Random r, int shipments, long span) {
        List<Event> events = new ArrayList<>();
        for (int s = 0; s < shipments; s++) {
            long start = D0 + (long) (r.nextDouble() * span);
            int n = 1 + r.nextInt(8);
            long ts = start;
            for (int i = 0; i < n; i++) {
                if (i > 0 && r.nextInt(5) > 0) { // one in five ties the previous event
                    ts += r.nextInt(12) * 3_600_000_000L + r.nextInt(1_000_000);
                }
                if (ts >= D0 + span) {
                    break;
                }
                events.add(new Event("S" + s, "e" + Integer.toHexString(r.nextInt(1 << 20)) + "-" + s + "-" + i, ts,
                        STATUSES[r.nextInt(STATUSES.length)], LOCATIONS[r.nextInt(LOCATIONS.length)], null));
            }
        }
        return events;
    }

    /** Equal row sets by event_id; on a difference, says which fields of which rows differ. */
    static void assertSameRows(List<Map<String, Object>> expected, List<Map<String, Object>> actual, String context) {
        Map<Object, Map<String, Object>> got = new java.util.TreeMap<>();
        actual.forEach(r -> got.put(r.get("event_id"), r));
        List<String> problems = new ArrayList<>();
        for (Map<String, Object> e : expected) {
            Map<String, Object> a = got.remove(e.get("event_id"));
            if (a == null) {
                problems.add("missing " + e.get("event_id") + " at " + e.get("event_timestamp"));
                continue;
            }
            for (String k : e.keySet()) {
                if (!java.util.Objects.equals(e.get(k), a.get(k))) {
                    problems.add(e.get("event_id") + " (" + e.get("shipment_id") + ") " + k + ": expected " + e.get(k) + " got " + a.get(k));
                }
            }
        }
        got.keySet().forEach(id -> problems.add("extra " + id));
        assertTrue(problems.isEmpty(), context + ": " + problems.size() + " differences, first: "
                + problems.subList(0, Math.min(8, problems.size())));
    }

    private final List<Path> tryDirs = new ArrayList<>();

    @AfterTry
    void cleanUp() throws java.io.IOException {
        for (Path p : tryDirs) {
            try (Stream<Path> all = Files.walk(p)) {
                for (Path x : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(x);
                }
            }
        }
        tryDirs.clear();
    }

    /**
     * Section 5's equivalence: a base run over the earlier part of any events, then incremental runs
     * over the rest in several batches, gives exactly the rows of one base run over all of them.
     * Ties, status runs across batch boundaries and shipments first seen in a later batch included.
     */
    @Property(tries = 2, shrinking = ShrinkingMode.OFF)
    void baseThenIncrementalsEqualsOneBaseOverEverything(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        long span = 6 * DAY;
        List<Event> events = randomEvents(r, 25, span);
        long[] cuts = {D0 + 2 * DAY + r.nextInt(1000) * 60_000_000L, D0 + 3 * DAY + r.nextInt(1000) * 60_000_000L,
            D0 + 4 * DAY + r.nextInt(1000) * 60_000_000L};
        Path root = Files.createTempDirectory(Path.of("target"), "equivalence");
        tryDirs.add(root);

        Deployment split = new Deployment(root.resolve("split"));
        Deployment whole = new Deployment(root.resolve("whole"));
        split.raw.reference(25, Instant.parse("2025-07-04T00:00:00Z"));
        whole.raw.reference(25, Instant.parse("2025-07-04T00:00:00Z"));
        String from = "2025-07-01";
        String end = "2025-07-09T00:00:00Z";

        List<Event> first = events.stream().filter(e -> e.ts() < cuts[0]).toList();
        split.raw.parquet(LocalDate.parse(from), first);
        split.base("--mode", "backfill", "--from", from, "--as-of", Instant.ofEpochSecond(cuts[0] / 1_000_000).toString());
        for (int k = 0; k < cuts.length; k++) {
            long lo = cuts[k];
            long hi = k + 1 < cuts.length ? cuts[k + 1] : Long.MAX_VALUE;
            List<Event> batch = events.stream().filter(e -> e.ts() >= lo && e.ts() < hi).toList();
            // Two files per arrival, split in time (an event in the second file that is not later than
            // every event of the first would be late), so that max-files-per-trigger = 2 makes some runs
            // take several micro-batches.
            long mid = lo + (Math.min(hi, D0 + span) - lo) / 2;
            split.raw.parquet(RawFolder.dateOf(lo), batch.stream().filter(e -> e.ts() < mid).toList());
            split.raw.parquet(RawFolder.dateOf(lo), batch.stream().filter(e -> e.ts() >= mid).toList());
            split.incremental("--as-of", end);
        }
        whole.raw.parquet(LocalDate.parse(from), events);
        whole.base("--mode", "backfill", "--from", from, "--as-of", end);

        assertSameRows(whole.timeline(), split.timeline(), "seed " + seed + ", cuts " + java.util.Arrays.toString(
                java.util.Arrays.stream(cuts).mapToObj(c -> Instant.ofEpochSecond(c / 1_000_000, (c % 1_000_000) * 1000)).toArray()));
        assertEquals(events.size(), split.timeline().size());
        assertEquals(whole.checkpoint(), split.checkpoint());
        assertTrue(TestWarehouse.count("SELECT count(*) FROM " + split.t("shipment_timeline_incremental")) > 0);
        split.assertEveryRunAddsUp();
    }

    /** One version of an event as a producer sends it: the event, when it was ingested, and when its file lands. */
    record Sent(Event event, long ingestedAt, long arrival) {}

    /** Writes versions as one Parquet file in their arrival folder, each with its own ingested_at. */
    static void land(Deployment d, LocalDate folder, List<Sent> versions) {
        List<org.apache.spark.sql.Row> rows = new ArrayList<>();
        for (Sent v : versions) {
            Event e = v.event();
            rows.add(org.apache.spark.sql.RowFactory.create(e.eventId(), e.shipmentId(), com.shipmenttimeline.testing.TimelineFrames.micros(e.ts()),
                    "SCAN", e.status(), e.locationId(), com.shipmenttimeline.testing.TimelineFrames.micros(v.ingestedAt())));
        }
        d.raw.parquet(folder, SharedSpark.get().createDataFrame(rows, com.shipmenttimeline.schemas.RawEvents.EVENT_SCHEMA),
                "sent-" + java.util.UUID.randomUUID() + ".parquet");
    }

    /**
     * Contract section 5's equivalence, at any arrival order: events reach ingest late (minutes to a
     * day and more), one device's clock runs 20 hours fast, some events are sent again and some are
     * corrected (a newer version: another status, another time, another shipment); the files land
     * in arrival order, one or two at a time, each split at random, and between them run incremental
     * runs (several micro-batches each; each run's batches look up their stored rows by key on the
     * driver or through staged keys, at random), base runs and replays. After every run the realtime view
     * equals, in every contract column, one base run with the same window start over every file
     * landed so far, and the state table equals the stored rows.
     */
    @Property(tries = 2, shrinking = ShrinkingMode.OFF)
    void atAnyArrivalOrderTheViewEqualsOneBaseRunOverEverythingAfterEveryRun(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        int shipments = 10;
        long minute = 60_000_000L;
        List<Event> events = randomEvents(r, shipments, 3 * DAY);
        String fastClock = "S" + r.nextInt(shipments);
        List<Sent> sent = new ArrayList<>();
        for (Event e : events) {
            int p = r.nextInt(100);
            long delay = p < 70 ? r.nextInt(5) * minute : p < 90 ? (5 + r.nextInt(355)) * minute : (6 * 60 + r.nextInt(24 * 60)) * minute;
            long arrival = e.shipmentId().equals(fastClock) ? e.ts() - 20 * 60 * minute + delay : e.ts() + delay;
            sent.add(new Sent(e, arrival, arrival));
            if (r.nextInt(10) == 0) { // sent again, the same version, later
                sent.add(new Sent(e, arrival, arrival + r.nextInt(600) * minute));
            }
            if (r.nextInt(12) == 0) { // corrected: a newer version, ingested later
                long later = arrival + (1 + r.nextInt(600)) * minute;
                Event fixed = switch (r.nextInt(3)) {
                    case 0 -> new Event(e.shipmentId(), e.eventId(), e.ts(), STATUSES[r.nextInt(STATUSES.length)], e.locationId(), null);
                    case 1 -> new Event(e.shipmentId(), e.eventId(), e.ts() - r.nextInt(180) * minute, e.status(), e.locationId(), null);
                    default -> new Event("S" + r.nextInt(shipments), e.eventId(), e.ts(), e.status(), e.locationId(), null);
                };
                sent.add(new Sent(fixed, later, later));
            }
        }
        sent.sort(java.util.Comparator.comparingLong(Sent::arrival));
        Path root = Files.createTempDirectory(Path.of("target"), "arrival");
        tryDirs.add(root);
        Deployment split = new Deployment(root.resolve("split"));
        split.raw.reference(shipments, Instant.parse("2025-07-04T00:00:00Z"));
        String from = "2025-06-30"; // the window start of every base run: no event is before it
        String asOf = "2025-07-06T00:00:00Z";
        List<String> ops = new ArrayList<>();
        int next = 0;
        int step = 0;
        while (next < sent.size()) {
            int size = 1 + r.nextInt(Math.max(1, sent.size() / 3));
            List<Sent> delivery = new ArrayList<>(sent.subList(next, Math.min(sent.size(), next + size)));
            next += delivery.size();
            java.util.Collections.shuffle(delivery, r);
            LocalDate folder = RawFolder.dateOf(delivery.stream().mapToLong(Sent::arrival).max().orElseThrow());
            int cut = r.nextInt(delivery.size() + 1);
            for (List<Sent> file : List.of(delivery.subList(0, cut), delivery.subList(cut, delivery.size()))) {
                if (!file.isEmpty()) {
                    land(split, folder, file);
                }
            }
            String op = step == 0 ? "base" : List.of("incremental", "incremental", "incremental", "incremental", "base", "replay").get(r.nextInt(6));
            boolean staged = lookUpEitherWay(split, r);
            switch (op) {
                case "base" -> split.base("--mode", "backfill", "--from", from, "--as-of", asOf);
                case "replay" -> {
                    long latest = sent.get(next - 1).arrival();
                    Instant t = Instant.ofEpochSecond((D0 + (long) (r.nextDouble() * (latest - D0))) / 1_000_000);
                    split.incremental("--replay-from", t.toString(), "--as-of", asOf);
                    op = "replay from " + t;
                }
                default -> split.incremental("--as-of", asOf);
            }
            ops.add(op + (staged && !op.equals("base") ? " (keys staged)" : "") + " after " + next + " versions");
            assertEqualsOneBaseRun(split, root.resolve("reference-" + step), shipments, from, asOf,
                    "seed " + seed + ", fast clock " + fastClock + ", after " + ops);
            step++;
        }
        // Whatever the random runs were, one more: an event of a shipment with stored rows, before its latest
        // one, arrives last and is taken in by an incremental run, which rewrites the rows after it.
        Map<String, Object> latest = split.timeline().stream()
                .filter(row -> ((Number) row.get("event_sequence")).longValue() >= 2)
                .max(java.util.Comparator.comparing(row -> (java.sql.Timestamp) row.get("event_timestamp"))).orElseThrow();
        long latestTs = com.shipmenttimeline.testing.TimelineFrames.toMicros((java.sql.Timestamp) latest.get("event_timestamp"));
        long arrival = Math.max(sent.get(sent.size() - 1).arrival(), latestTs) + minute;
        Event before = new Event((String) latest.get("shipment_id"), "taken-in-" + seed, latestTs - 1_000_000L, "IN_TRANSIT",
                (String) latest.get("location_id"), null);
        land(split, RawFolder.dateOf(arrival), List.of(new Sent(before, arrival, arrival)));
        boolean staged = lookUpEitherWay(split, r);
        String rewriting = "SELECT count(*) FROM " + split.t("processing_runs") + " WHERE rewritten > 0";
        long rewrote = TestWarehouse.count(rewriting);
        split.incremental("--as-of", asOf);
        ops.add("incremental" + (staged ? " (keys staged)" : "") + " of one event before " + latest.get("event_id"));
        assertEqualsOneBaseRun(split, root.resolve("reference-last"), shipments, from, asOf,
                "seed " + seed + ", fast clock " + fastClock + ", after " + ops);
        assertEquals(rewrote + 1, TestWarehouse.count(rewriting), "the last run took an event in out of order: " + ops);
        assertLakeHoldsTheWarehouseRows(split);
    }

    /**
     * Either way of looking up a batch's stored rows, at random for the next run: by key on the
     * driver (a small batch), or staged (a large one). Returns whether staged.
     */
    static boolean lookUpEitherWay(Deployment d, Random r) {
        d.extra.removeIf(e -> e.startsWith("incremental.small-batch-keys"));
        boolean staged = r.nextBoolean();
        if (staged) {
            d.extra.add("incremental.small-batch-keys=0");
        }
        return staged;
    }

    /** The view of {@code split} equals one base run over every file it has landed, run in a fresh deployment at {@code dir}. */
    static void assertEqualsOneBaseRun(Deployment split, Path dir, int shipments, String from, String asOf, String what) throws Exception {
        Deployment reference = new Deployment(dir);
        reference.raw.reference(shipments, Instant.parse("2025-07-04T00:00:00Z"));
        copyTree(split.raw.root().resolve(com.shipmenttimeline.schemas.RawEvents.EVENTS_DIR),
                reference.raw.root().resolve(com.shipmenttimeline.schemas.RawEvents.EVENTS_DIR));
        reference.base("--mode", "backfill", "--from", from, "--as-of", asOf);
        assertSameRows(reference.timeline(), split.timeline(), what);
        split.assertEveryRunAddsUp();
    }

    static void copyTree(Path from, Path to) throws java.io.IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().startsWith(".")) {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /**
     * The state table's law: after any sequence of base, incremental, replay and backfill runs, with
     * base windows that cut through shipments and event ids re-sent under another shipment (which a
     * later base run rewrites), {@code shipment_timeline_state} equals the state recomputed from the
     * stored rows, shipment by shipment.
     */
    @Property(tries = 2, shrinking = ShrinkingMode.OFF)
    void theStateTableEqualsTheStoredRowsAfterAnySequenceOfRuns(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        long span = 6 * DAY;
        List<Event> events = new ArrayList<>(randomEvents(r, 15, span));
        events.sort(java.util.Comparator.comparingLong(Event::ts));
        Path root = Files.createTempDirectory(Path.of("target"), "state");
        tryDirs.add(root);
        Deployment d = new Deployment(root);
        d.extra.add("base.window-days=2");
        d.raw.reference(15, Instant.parse("2025-07-04T00:00:00Z"));
        List<String> ops = new ArrayList<>();
        long cursor = D0;
        int next = 0;
        for (int step = 0; step < 7; step++) {
            String op = step == 0 ? "base" : List.of("incremental", "incremental", "base", "replay", "backfill", "move").get(r.nextInt(6));
            if (op.equals("incremental") || op.equals("base") || step == 0) {
                long until = Math.min(D0 + span, cursor + DAY / 2 + r.nextInt(36) * 3_600_000_000L);
                List<Event> arriving = new ArrayList<>();
                while (next < events.size() && events.get(next).ts() < until) {
                    arriving.add(events.get(next++));
                }
                if (!arriving.isEmpty()) {
                    d.raw.parquet(RawFolder.dateOf(cursor), arriving);
                }
                cursor = until;
            }
            String asOf = Instant.ofEpochSecond(cursor / 1_000_000 + 60).toString();
            switch (op) {
                case "incremental" -> d.incremental("--as-of", asOf);
                case "base" -> d.base("--mode", "daily_base", "--as-of", asOf);
                case "replay" -> {
                    Instant from = Instant.ofEpochSecond((D0 + (long) (r.nextDouble() * (cursor - D0))) / 1_000_000);
                    Instant windowStart;
                    try (Warehouse w = d.warehouse()) {
                        windowStart = w.ledger().lastBaseWindowStart().orElseThrow();
                    }
                    if (from.isBefore(windowStart)) { // the base rows after the window start continue from rows it would delete
                        UsageException refused = assertThrows(UsageException.class, () -> d.incremental("--replay-from", from.toString(), "--as-of", asOf));
                        assertTrue(refused.getMessage().contains("before the latest base run's window start"), refused.getMessage());
                        op = "replay refused";
                    } else {
                        d.incremental("--replay-from", from.toString(), "--as-of", asOf);
                    }
                }
                case "backfill" -> d.base("--mode", "backfill", "--from", RawFolder.dateOf(D0 + r.nextInt(3) * DAY).toString(), "--as-of", asOf);
                default -> { // an event id already sent comes again under another shipment, a minute later
                    Event old = events.get(r.nextInt(Math.max(1, next)));
                    d.raw.parquet(RawFolder.dateOf(cursor), List.of(new Event("S" + r.nextInt(15), old.eventId(), old.ts() + 60_000_000L,
                            old.status(), old.locationId(), null)));
                    d.incremental("--as-of", asOf);
                }
            }
            ops.add(op);
            int shipments = TestWarehouse.assertStateMatchesRows(d.schema);
            assertEquals(TestWarehouse.count("SELECT count(DISTINCT shipment_id) FROM " + d.t("shipment_timeline_realtime")), shipments,
                    "seed " + seed + ", after " + ops + ": one state row per shipment with rows");
        }
    }

    /**
     * Contract sections 2 and 5, the worked example of docs/contract.md: an event that arrives after
     * later events of its shipment is taken in where it belongs, in the same run; the stored rows after
     * it are computed again (their sequences and previous-event fields move) and counted as rewritten;
     * a re-sent event of the same version is already processed. The result is what a base run with
     * the same window start writes over the same files.
     */
    @Test
    void anEventThatArrivesAfterLaterEventsIsTakenInWhereItBelongsInTheSameRun(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Deployment d = new Deployment(dir);
        d.raw.reference(3, Instant.parse("2025-07-04T00:00:00Z"));
        long hour = 3_600_000_000L;
        d.raw.parquet(LocalDate.parse("2025-07-02"), List.of(
                new Event("S0", "a1", D0 + DAY, "PICKED_UP", "L1", null),
                new Event("S0", "a2", D0 + DAY + hour, "IN_TRANSIT", "L2", null),
                new Event("S0", "a3", D0 + DAY + 2 * hour, "IN_TRANSIT", "L2", null)));
        d.base("--mode", "daily_base", "--as-of", "2025-07-03T00:00:00Z");

        d.raw.jsonLines(LocalDate.parse("2025-07-03"), List.of(
                // re-sent, the same version: already processed
                RawFolder.json(new Event("S0", "a3", D0 + DAY + 2 * hour, "IN_TRANSIT", "L2", null)),
                // scanned at 00:30, synced a day later: after a2 and a3 arrived, before them in time; twice
                "{\"event_id\":\"s1\",\"shipment_id\":\"S0\",\"event_timestamp\":\"2025-07-02T00:30:00Z\",\"status\":\"PICKED_UP\",\"location_id\":\"L1\"}",
                "{\"event_id\":\"s1\",\"shipment_id\":\"S0\",\"event_timestamp\":\"2025-07-02T00:30:00Z\",\"status\":\"PICKED_UP\",\"location_id\":\"L1\"}",
                // new, after everything stored
                "{\"event_id\":\"n1\",\"shipment_id\":\"S0\",\"event_timestamp\":\"2025-07-02T06:00:00Z\",\"status\":\"DELIVERED\"}",
                "{\"event_id\":\"bad\",\"shipment_id\":12}"));
        IncrementalJob.RunResult r = d.incremental("--as-of", "2025-07-03T00:00:00Z");
        Map<String, Long> total = new java.util.TreeMap<>();
        for (RunRecord b : r.batches()) {
            for (String k : List.of("rows_read", "already_processed", "late", "duplicates", "timeline_rows", "quarantined_malformed", "rewritten")) {
                total.merge(k, (Long) b.columns().get(k), Long::sum);
            }
        }
        assertEquals(Map.of("rows_read", 5L, "already_processed", 1L, "late", 0L, "duplicates", 1L, "timeline_rows", 2L,
                "quarantined_malformed", 1L, "rewritten", 2L), total, "a2 and a3 move one place down");
        // One batch, every kind of row: on Redshift two COPYs (its rows, its quarantine row), no UNLOAD, two staging
        // tables; the stored versions, the state, and the touched shipment's anchor and stored rows by key, a query each.
        assertEquals(1, r.batches().size());
        assertEquals(new com.shipmenttimeline.jobs.warehouse.RoundTrips.Counts(2, 0, 2, 4), d.lastTrips, "bulk loads, bulk reads, staging"
                + " tables, keyed queries");
        // Its dozen or so statements (the lease, the ledger, the look-ups, the staging DDL, the commit) share kept connections.
        assertTrue(d.lastConnections >= 1 && d.lastConnections <= 2, "connections opened by the run: " + d.lastConnections);
        List<Map<String, Object>> view = TestWarehouse.query("SELECT event_id, event_sequence, prev_status FROM "
                + d.t("shipment_timeline_realtime") + " ORDER BY event_sequence");
        assertEquals(List.of("a1", "s1", "a2", "a3", "n1"), view.stream().map(v -> v.get("event_id")).toList(), "in the same run, in its place");
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), view.stream().map(v -> v.get("event_sequence")).toList());
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + d.t("late_events")), "late_events is no longer written");
        assertEquals(1, TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_base")), "a1 stays where it was stored");
        assertEquals(TestWarehouse.query("SELECT max(event_timestamp) AS m FROM " + d.t("shipment_timeline_realtime")).get(0).get("m"),
                d.checkpoint(), "the checkpoint is the newest event taken in");
        assertLakeHoldsTheWarehouseRows(d);

        List<Map<String, Object>> incremental = d.timeline();
        d.base("--mode", "daily_base", "--as-of", "2025-07-03T00:00:00Z");
        assertSameRows(d.timeline(), incremental, "one base run with the same window start over the same files");
        d.assertEveryRunAddsUp();
    }

    /**
     * A correction (a newer version of a stored event) replaces the stored row at once; one that moves
     * the event to another shipment computes both shipments again.
     */
    @Test
    void aCorrectionThatMovesAnEventToAnotherShipmentRecomputesBoth(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Deployment d = new Deployment(dir);
        d.raw.reference(3, Instant.parse("2025-07-04T00:00:00Z"));
        long hour = 3_600_000_000L;
        d.raw.parquet(LocalDate.parse("2025-07-02"), List.of(
                new Event("S0", "c1", D0 + DAY, "PICKED_UP", "L1", null),
                new Event("S0", "c2", D0 + DAY + hour, "IN_TRANSIT", "L2", null),
                new Event("S0", "c3", D0 + DAY + 2 * hour, "DELIVERED", "L2", null),
                new Event("S1", "d1", D0 + DAY + hour / 2, "PICKED_UP", "L3", null)));
        d.base("--mode", "daily_base", "--as-of", "2025-07-03T00:00:00Z");
        // c2 belonged to S1 all along: the carrier sends it again, ingested later, under S1
        d.raw.jsonLines(LocalDate.parse("2025-07-03"), List.of("{\"event_id\":\"c2\",\"shipment_id\":\"S1\",\"event_timestamp\":"
                + "\"2025-07-02T00:45:00Z\",\"status\":\"IN_TRANSIT\",\"location_id\":\"L2\",\"ingested_at\":\"2025-07-03T08:00:00Z\"}"));
        IncrementalJob.RunResult r = d.incremental("--as-of", "2025-07-03T12:00:00Z");
        assertEquals(1L, r.batches().get(0).counts().timeline());
        assertEquals(1L, r.batches().get(0).counts().rewritten(), "c3 moves up in S0");
        List<Map<String, Object>> view = TestWarehouse.query("SELECT shipment_id, event_id, event_sequence FROM " + d.t("shipment_timeline_realtime")
                + " ORDER BY shipment_id, event_sequence");
        assertEquals(List.of("S0 c1 1", "S0 c3 2", "S1 d1 1", "S1 c2 2"), view.stream().map(v -> v.get("shipment_id") + " " + v.get("event_id")
                + " " + v.get("event_sequence")).toList());
        assertLakeHoldsTheWarehouseRows(d);
        List<Map<String, Object>> incremental = d.timeline();
        d.base("--mode", "daily_base", "--as-of", "2025-07-03T12:00:00Z");
        assertSameRows(d.timeline(), incremental, "one base run with the same window start over the same files");
        d.assertEveryRunAddsUp();
    }

    /** The lake's two tables hold exactly the warehouse's rows: the same event ids, once each. */
    /** The lake holds the warehouse's rows, table by table: the same event ids, each once. */
    static void assertLakeHoldsTheWarehouseRows(Deployment d) {
        org.apache.spark.sql.SparkSession spark = SharedSpark.get();
        for (String table : List.of(TimelineLake.BASE_TABLE, TimelineLake.INCREMENTAL_TABLE)) {
            List<String> lake = new ArrayList<>();
            if (io.delta.tables.DeltaTable.isDeltaTable(spark, d.lake().path(table))) {
                spark.read().format("delta").load(d.lake().path(table)).select("event_id").collectAsList().forEach(x -> lake.add(x.getString(0)));
            }
            java.util.Collections.sort(lake);
            String stored = table.equals(TimelineLake.BASE_TABLE) ? "shipment_timeline_base" : "shipment_timeline_incremental";
            List<String> warehouse = TestWarehouse.query("SELECT event_id FROM " + d.t(stored) + " ORDER BY event_id").stream()
                    .map(m -> (String) m.get("event_id")).sorted().toList();
            assertEquals(warehouse, lake, "the lake's " + table + " holds the warehouse's rows of " + stored + ", each once");
        }
    }

    @Test
    void runningAgainWithNothingNewChangesNothing(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Deployment d = Deployment.withOneStoredEvent(dir, 3);
        d.raw.parquet(LocalDate.parse("2025-07-02"), List.of(new Event("S0", "a2", D0 + DAY + 60_000_000L, "IN_TRANSIT", "L1", null)));
        d.incremental("--as-of", "2025-07-03T00:00:00Z");
        List<Map<String, Object>> before = TestWarehouse.query("SELECT * FROM " + d.t("shipment_timeline_realtime") + " ORDER BY event_id");
        long runs = TestWarehouse.count("SELECT count(*) FROM " + d.t("processing_runs"));
        IncrementalJob.RunResult again = d.incremental("--as-of", "2025-07-03T00:00:00Z");
        assertTrue(again.batches().isEmpty());
        assertEquals(before, TestWarehouse.query("SELECT * FROM " + d.t("shipment_timeline_realtime") + " ORDER BY event_id"));
        assertEquals(runs, TestWarehouse.count("SELECT count(*) FROM " + d.t("processing_runs")));
    }

    @Test
    void withBaseOnlyRefreshesIncrementalRowsReachTheViewAtTheNextBaseRun(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Deployment d = Deployment.withOneStoredEvent(dir, 1);
        d.extra.add("warehouse.refresh-view=base-only");
        d.materialized = true; // the plain view of the first run is replaced by a materialized one
        d.raw.parquet(LocalDate.parse("2025-07-02"), List.of(new Event("S0", "a2", D0 + DAY + 60_000_000L, "IN_TRANSIT", "L1", null)));
        IncrementalJob.RunResult r = d.incremental("--as-of", "2025-07-03T00:00:00Z");
        assertTrue(r.view().contains("base-only"), r.view());
        assertEquals(1, TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_incremental")), "committed");
        assertEquals(1, TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_realtime")), "but not in the view yet");
        assertEquals(1, TestWarehouse.count("SELECT count(*) FROM " + d.t("processing_checkpoints") + " WHERE status = 'committed'"));
        d.base("--mode", "daily_base", "--as-of", "2025-07-03T00:00:00Z");
        assertEquals(2, TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_realtime")), "the base run refreshed it");
    }

    @Test
    void aRunWaitsForTheLeaseThenExitsBusyAndACrashedHoldersLeaseLapses(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Deployment d = Deployment.withOneStoredEvent(dir, 1);
        d.raw.parquet(LocalDate.parse("2025-07-02"), List.of(new Event("S0", "a2", D0 + DAY + 60_000_000L, "IN_TRANSIT", "L1", null)));

        // Another incremental run's lease (a base run's is waited for as BaseRunOverlapTest shows).
        TestWarehouse.execute("UPDATE " + d.t("timeline_lease") + " SET holder_run_id = 'inc-other', holder_process_type = 'incremental',"
                + " acquired_at = now(), expires_at = now() + interval '1 hour'");
        WarehouseBusyException busy = assertThrows(WarehouseBusyException.class, () -> d.incremental("--as-of", "2025-07-03T00:00:00Z"));
        assertTrue(busy.getMessage().contains("inc-other"), busy.getMessage());
        assertEquals(1, TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_realtime")), "nothing written");

        TestWarehouse.execute("UPDATE " + d.t("timeline_lease") + " SET expires_at = now() - interval '1 second'");
        d.incremental("--as-of", "2025-07-03T00:00:00Z");
        assertEquals(2, TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_realtime")), "a lapsed lease is taken over");
        assertEquals(1, TestWarehouse.count("SELECT count(*) FROM " + d.t("timeline_lease") + " WHERE holder_run_id IS NULL"), "and released");
        com.shipmenttimeline.testing.Reliability.record("concurrency", "a lease left behind by a crashed run",
                "while it is live, a new run waits warehouse.lease.wait, then exits 4 naming the holder (" + busy.getMessage().lines()
                .findFirst().orElse("") + "), writing nothing; once it lapses (ttl), the next run takes it over: " + d.assertExactlyOnce(2));
    }

    @Test
    void twoLaunchesAtOnceSerialiseAndNothingIsDuplicated(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Deployment d = Deployment.withOneStoredEvent(dir, 2);
        Random r = new Random(5);
        List<Event> more = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            more.add(new Event("S" + (i % 2), "m" + i, D0 + DAY + (i + 1) * 60_000_000L, STATUSES[r.nextInt(STATUSES.length)], "L1", null));
        }
        d.raw.parquet(LocalDate.parse("2025-07-02"), more);
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        Runnable launch = () -> {
            try {
                d.incremental("--as-of", "2025-07-03T00:00:00Z");
            } catch (Throwable t) {
                errors.add(t);
            }
        };
        Thread a = new Thread(launch);
        Thread b = new Thread(launch);
        a.start();
        b.start();
        a.join();
        b.join();
        assertTrue(errors.stream().allMatch(e -> e instanceof WarehouseBusyException), errors.toString());
        assertEquals(41, TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_realtime")));
        assertEquals(41, TestWarehouse.count("SELECT count(DISTINCT event_id) FROM " + d.t("shipment_timeline_realtime")));
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM (SELECT shipment_id FROM " + d.t("shipment_timeline_realtime")
                + " GROUP BY shipment_id HAVING count(*) <> max(event_sequence) OR count(DISTINCT event_sequence) <> count(*)) bad"),
                "every shipment's sequences are exactly 1..n");
    }

    @Test
    void replayDeletesAfterTResetsTheCheckpointAndReprocessesFromRawFiles(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Deployment d = new Deployment(dir);
        d.raw.reference(1, Instant.parse("2025-07-04T00:00:00Z"));
        d.raw.parquet(LocalDate.parse("2025-07-02"), List.of(new Event("S0", "a1", D0 + DAY, "PICKED_UP", "L1", null)));
        d.base("--mode", "daily_base", "--as-of", "2025-07-02T12:00:00Z");
        d.raw.parquet(LocalDate.parse("2025-07-02"), List.of(
                new Event("S0", "a2", D0 + DAY + 3_600_000_000L, "IN_TRANSIT", "L1", null),
                new Event("S0", "a3", D0 + DAY + 7_200_000_000L, "IN_TRANSIT", "L2", null)));
        d.incremental("--as-of", "2025-07-03T00:00:00Z");
        List<Map<String, Object>> before = d.timeline();
        // Someone damaged the incremental table; replay from a time before both events.
        TestWarehouse.execute("UPDATE " + d.t("shipment_timeline_incremental") + " SET event_sequence = 99");

        IncrementalJob.RunResult r = d.incremental("--replay-from", "2025-07-02T00:30:00Z", "--as-of", "2025-07-03T00:00:00Z");
        assertEquals(before, d.timeline(), "rebuilt from the raw files");
        assertEquals(2L, r.batches().get(0).counts().timeline());
        d.raw.parquet(LocalDate.parse("2025-07-02"), List.of(new Event("S0", "a4", D0 + DAY + 9_000_000_000L, "DELIVERED", "L2", null)));
        d.incremental("--as-of", "2025-07-03T00:00:00Z");
        assertEquals(4L, TestWarehouse.query("SELECT event_sequence FROM " + d.t("shipment_timeline_realtime") + " WHERE event_id = 'a4'")
                .get(0).get("event_sequence"), "the streaming query continues with new files");
        com.shipmenttimeline.testing.Reliability.record("operations", "a replay over a range that was already processed (a damaged"
                + " incremental table)", "--replay-from deletes the incremental rows after T and resets the checkpoint in one transaction,"
                + " reprocesses the raw files: the rebuilt rows equal the originals field by field; the stream then continues: "
                + d.assertExactlyOnce(4));
    }
}
