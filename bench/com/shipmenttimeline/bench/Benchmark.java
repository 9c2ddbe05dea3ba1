package com.shipmenttimeline.bench;

import com.shipmenttimeline.jobs.cli.CommandLine;
import com.shipmenttimeline.jobs.run.RunRequest;
import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.SparkSessions;
import com.shipmenttimeline.jobs.dev.SampleDataGenerator;
import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.jobs.run.DailyBaseJob;
import com.shipmenttimeline.jobs.run.IncrementalJob;
import com.shipmenttimeline.jobs.run.StageLog;
import com.shipmenttimeline.jobs.warehouse.EmbeddedWarehouseServer;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.jobs.warehouse.Warehouse;

import com.shipmenttimeline.schemas.TimelineColumns;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The benchmark: for each (n, k, shuffle partitions) it generates n events over 10 days (seeded,
 * Parquet, no defects) with the newest k held back, runs a base run, lands the k events as new
 * files and runs the incremental job, then runs the "traditional" full recompute over all n + k
 * events into a fresh schema and lake. DuckDB computes the same fields over the base run's input as
 * a single-machine reference, and its rows are compared with Spark's. Every step reports wall and
 * CPU time, rows read, written and shuffled, files read, the largest stored state read, and peak
 * memory. A table goes to stdout and CSV to {@code --out}. Run it with {@code bench/run}.
 */
public final class Benchmark {
    static final String USAGE = String.join("\n",
            "usage: bench/run [--n 1000000[,4000000,...]] [--k 1[,0.1,5]] [--partitions 8[,16]] [--out bench-results]",
            "                 [--no-duckdb] [--no-full] [--max-n-full N] [--max-n-duckdb N] [--max-n-refresh N] [--port 54339]",
            "                 [--view plain[,materialized]] [--warm 1000,50000] [--plot] [--report docs/benchmarks.md]",
            "                 [--in-jvm] [--listing 100,100000]",
            "  cold       by default the incremental run and the full recompute each run as EMR runs a step: the launcher in a",
            "             fresh JVM (its split: JVM and Spark start, run to stream start, triggers and their listing, after)",
            "  --in-jvm   run them in the benchmark's own JVM instead (warm: Spark started, classes loaded; rows shuffled counted)",
            "  --listing  older files: for each count, a small warehouse whose raw tree holds that many files in arrival",
            "             folders before the base window; the first cold incremental run after the base is timed (summary: the",
            "             last count against the first)",
            "  --view     the realtime view's kinds: each is a configuration (materialized: the refresh after each run is measured)",
            "  --warm     after the incremental job, batches of these sizes into a query already running (processing-time trigger):",
            "             seconds from a file landing to its rows in the view; give a size more than once (1000,1000,1000) and the",
            "             summary gives its first batch and the median of the later ones (the steady cost, once the JVM is warm)",
            "  --arrival  after the warm batches, the same sizes again with 20% of each batch's events out of order (30 minutes",
            "             before the latest stored event of their shipment): the summary gives out of order / in order per size",
            "  --plot     draws job time against n and a warm batch's latency against its size (PNGs in --out)",
            "  --report   rewrites the results section of that Markdown file (command, machine, commit, date, figures, plots;",
            "             the plots go to a folder beside it named after it: docs/benchmarks/)",
            "  --max-n-*  skip the full recompute, DuckDB, or the view refreshes and the separate COPY measurement, above that n",
            "  --n        history sizes (events in the base run)      --k  new events, in percent of n",
            "  --k-events new events as a number, the same for every n (instead of --k)",
            "  --partitions  spark.sql.shuffle.partitions values        every combination is one configuration");

    /** Events generated per event asked for, over 10 days (measured: 878,877 of 1,010,000). */
    static final double GENERATOR_YIELD = 0.87;
    static final String WARM_STEP = "warm stream: ";

    record Step(String config, String step, double wallSeconds, double cpuSeconds, long rowsRead, long rowsWritten, long rowsShuffled,
            long filesRead, long maxStateRows, long peakRssMb, long sparkJobs, String note) {}

    private final SparkSession spark;
    private final EmbeddedWarehouseServer server;
    private final Path out;
    private final boolean duckdb;
    private final boolean full;
    long maxNFull = Long.MAX_VALUE;
    long maxNDuckDb = Long.MAX_VALUE;
    long maxNRefresh = Long.MAX_VALUE;
    List<Long> warm = List.of();
    /** The incremental run and the full recompute in the bench's JVM (warm) rather than a fresh one each (cold, as a step). */
    boolean inJvm;
    /** Older-file counts of the listing measurement (empty: none). */
    List<Long> listing = List.of();
    /** The share of a warm batch's events out of order in the --arrival batches (0: none are run). */
    double arrival;
    static final String ARRIVAL_SUFFIX = ", 20% out of order";
    private final List<Step> steps = new ArrayList<>();
    private final Counters counters = new Counters();
    private boolean materialized;
    private final Map<String, Long> stageNanos = new LinkedHashMap<>();
    private final PrintStream log;

    Benchmark(SparkSession spark, EmbeddedWarehouseServer server, Path out, boolean duckdb, boolean full, PrintStream log) {
        this.spark = spark;
        this.server = server;
        this.out = out;
        this.duckdb = duckdb;
        this.full = full;
        this.log = log;
        spark.sparkContext().addSparkListener(counters);
        StageLog.observer = (stage, nanos) -> {
            synchronized (stageNanos) {
                stageNanos.merge(stage.replaceFirst("^batch [^:]+: ", ""), nanos, Long::sum);
            }
        };
    }

    public static void main(String[] args) throws Exception {
        List<Long> ns = List.of(1_000_000L);
        List<Double> ks = List.of(1.0);
        List<Long> kEvents = List.of();
        List<Integer> partitions = List.of(8);
        Path out = Path.of("bench-results");
        boolean duckdb = true;
        boolean full = true;
        int port = 54339;
        List<String> views = List.of("plain");
        List<Long> warm = List.of();
        boolean plot = false;
        boolean arrival = false;
        Path report = null;
        long maxFull = Long.MAX_VALUE;
        long maxDuck = Long.MAX_VALUE;
        long maxRefresh = Long.MAX_VALUE;
        boolean inJvm = false;
        List<Long> listing = List.of();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--n" -> ns = Stream.of(args[++i].split(",")).map(s -> Long.parseLong(s.replace("_", ""))).toList();
                case "--k" -> ks = Stream.of(args[++i].split(",")).map(Double::parseDouble).toList();
                case "--k-events" -> kEvents = Stream.of(args[++i].split(",")).map(x -> Long.parseLong(x.replace("_", ""))).toList();
                case "--partitions" -> partitions = Stream.of(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--out" -> out = Path.of(args[++i]);
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--max-n-full" -> maxFull = Long.parseLong(args[++i]);
                case "--max-n-duckdb" -> maxDuck = Long.parseLong(args[++i]);
                case "--max-n-refresh" -> maxRefresh = Long.parseLong(args[++i]);
                case "--view" -> views = List.of(args[++i].split(","));
                case "--warm" -> warm = Stream.of(args[++i].split(",")).map(x -> Long.parseLong(x.replace("_", ""))).toList();
                case "--plot" -> plot = true;
                case "--arrival" -> arrival = true;
                case "--report" -> report = Path.of(args[++i]);
                case "--no-duckdb" -> duckdb = false;
                case "--no-full" -> full = false;
                case "--in-jvm" -> inJvm = true;
                case "--listing" -> listing = Stream.of(args[++i].split(",")).map(x -> Long.parseLong(x.replace("_", ""))).toList();
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    System.err.println("bench: unknown argument " + args[i] + "\n" + USAGE);
                    System.exit(2);
                }
            }
        }
        Files.createDirectories(out);
        Settings base = Settings.load(null, List.of("timeline.data-dir=" + out.resolve("work")));
        SparkSession spark = SparkSessions.create(base.spark());
        // Read before the run: the commit measured, and whether the work tree differs from it (the report's own plots will).
        BenchmarkReport.Machine machine = BenchmarkReport.Machine.here(spark.version());
        try (EmbeddedWarehouseServer server = EmbeddedWarehouseServer.start(out.resolve("warehouse").toString(), port)) {
            Benchmark b = new Benchmark(spark, server, out, duckdb, full, System.out);
            b.maxNFull = maxFull;
            b.maxNDuckDb = maxDuck;
            b.maxNRefresh = maxRefresh;
            b.warm = warm;
            b.arrival = arrival ? 0.2 : 0;
            b.inJvm = inJvm;
            b.listing = listing;
            for (long n : ns) {
                // --k-events holds k fixed in events as n grows (the flatness sweep); --k is a share of n.
                List<Double> shares = kEvents.isEmpty() ? ks : kEvents.stream().map(k -> 100.0 * k / n).toList();
                for (double k : shares) {
                    for (int p : partitions) {
                        for (String view : views) {
                            b.runConfiguration(n, k, p, view.trim().equals("materialized"));
                        }
                    }
                }
            }
            b.report(System.out);
            if (plot) {
                System.out.println("plot: " + BenchmarkPlots.jobTimeVsN(b.steps(), out.resolve(BenchmarkPlots.JOB_TIME_PNG)));
                System.out.println("plot: " + BenchmarkPlots.warmLatencyVsSize(b.steps(), out.resolve(BenchmarkPlots.WARM_LATENCY_PNG)));
            }
            if (report != null) {
                Path images = report.resolveSibling(report.getFileName().toString().replaceFirst("\\.md$", ""));
                List<Path> plots = new ArrayList<>(List.of(BenchmarkPlots.jobTimeVsN(b.steps(), images.resolve(BenchmarkPlots.JOB_TIME_PNG))));
                if (!warm.isEmpty()) {
                    plots.add(BenchmarkPlots.warmLatencyVsSize(b.steps(), images.resolve(BenchmarkPlots.WARM_LATENCY_PNG)));
                }
                BenchmarkReport.write(report, List.of(args), b.steps(), machine, plots);
                System.out.println("report: " + report + " (results section rewritten; plots in " + images + ")");
            }
        } finally {
            spark.stop();
        }
    }

    /** One configuration, end to end. Returns its steps. */
    List<Step> runConfiguration(long n, double kPercent, int partitions) throws Exception {
        return runConfiguration(n, kPercent, partitions, false);
    }

    /** @param materialized the realtime view materialized (refreshed after each run) rather than plain */
    List<Step> runConfiguration(long n, double kPercent, int partitions, boolean materialized) throws Exception {
        String kLabel = new java.math.BigDecimal(kPercent).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
        String config = String.format(Locale.ROOT, "n=%d k=%s%% p=%d v=%s", n, kLabel, partitions, materialized ? "mat" : "plain");
        String tag = String.format(Locale.ROOT, "n%d_k%s_p%d_%s", n, kLabel.replace('.', '_'), partitions, materialized ? "mat" : "plain");
        this.materialized = materialized;
        Path dir = out.resolve("work").resolve(tag);
        deleteTree(dir);
        spark.conf().set("spark.sql.shuffle.partitions", Integer.toString(partitions));
        long k = Math.max(1, Math.round(n * kPercent / 100.0));
        // Events spread over 10 days; holding back the last share of the time holds back about that share of the events.
        Duration holdBack = Duration.ofSeconds(Math.round(10 * 86_400.0 * k / (n + k)));
        // The generator's events-per-shipment estimate runs high over 10 days (shipments still on their way
        // at the end are cut): ask for more so that about n + k arrive.
        long requested = Math.round((n + k) / GENERATOR_YIELD);
        Settings s = settings(dir, "bench_" + tag, "lake", partitions, requested, holdBack);
        log.printf("== %s: generating about %d events, holding back %s ...%n", config, n + k, holdBack);
        SampleDataGenerator.Written w = new SampleDataGenerator(spark, s.paths().raw()).generate(s.generator());
        String note = "generated " + w.events() + " events of " + w.shipments() + " shipments; " + w.heldBack() + " held back";
        add(config, "generate", 0, 0, 0, 0, 0, 0, 0, 0, 0, note);
        Instant asOf = Instant.parse("2025-07-12T00:00:00Z");

        try (Warehouse wh = warehouse(s)) {
            DailyBaseJob.RunResult base = measure(config, "base: job", () -> new DailyBaseJob(spark, s, wh, Clock.systemUTC())
                    .run(CommandLine.parse(new String[] {"--mode", "daily_base", "--as-of", asOf.toString()}).request()), r -> record(r.record()));
            lakeShare(config, "base: read to lake written");
            if (n <= maxNRefresh) {
                measure(config, "base: view refresh", () -> {
                    wh.view().refresh();
                    return null;
                }, r -> null);
            }
            if (n <= maxNRefresh) {
                loadRate(config, wh, s);
            }
            if (duckdb && n <= maxNDuckDb) {
                reference(config, s, DailyBaseJob.windowStart(asOf, 10, java.util.Optional.empty()));
            }

            land(Path.of(s.generator().incoming()), Path.of(s.paths().raw()));
            if (inJvm) {
                measure(config, "incremental: job", () -> new IncrementalJob(spark, s, wh, Clock.systemUTC())
                        .run(CommandLine.parse(new String[] {"--mode", "incremental", "--as-of", asOf.toString()}).request()), r -> {
                            long read = 0;
                            long written = 0;
                            long files = 0;
                            for (RunRecord b : r.batches()) {
                                read += b.counts().read();
                                written += b.counts().timeline();
                                files += b.filesRead();
                            }
                            return new long[] {read, written, files};
                        });
            } else {
                cold(config, "incremental: cold step", dir.resolve("incremental-step.log"), wh, overrides(dir, "bench_" + tag, "lake", partitions,
                        requested, holdBack), "incremental", asOf);
            }
            if (n <= maxNRefresh) {
                measure(config, "incremental: view refresh", () -> {
                    wh.view().refresh();
                    return null;
                }, r -> null);
            }
        }
        if (full && n <= maxNFull) {
            Settings f = settings(dir, "bench_" + tag + "_full", "lake-full", partitions, requested, holdBack);
            try (Warehouse wh = warehouse(f)) {
                if (inJvm) {
                    measure(config, "full recompute: job", () -> new DailyBaseJob(spark, f, wh, Clock.systemUTC())
                            .run(CommandLine.parse(new String[] {"--mode", "daily_base", "--as-of", asOf.toString()}).request()), r -> record(r.record()));
                } else {
                    cold(config, "full recompute: cold step", dir.resolve("full-recompute-step.log"), wh, overrides(dir, "bench_" + tag + "_full",
                            "lake-full", partitions, requested, holdBack), "daily_base", asOf);
                }
                if (n <= maxNRefresh) {
                    measure(config, "full recompute: view refresh", () -> {
                        wh.view().refresh();
                        return null;
                    }, r -> null);
                }
            }
        }
        if (!warm.isEmpty()) {
            // Last: its events land in the raw folder that the full recompute above read.
            Settings running = settings(dir, "bench_" + tag, "lake", partitions, requested, holdBack, "incremental.trigger=\"1 second\"");
            try (Warehouse wh = existingWarehouse(running)) {
                for (WarmStream.Batch b : new WarmStream(spark, running, wh, log).run(warm)) {
                    add(config, WARM_STEP + b.events() + " events", b.visibleSeconds(), 0, b.events(), b.events(), 0, 1, 0, Rss.peakMb(),
                            b.sparkJobs(), String.format(Locale.ROOT, "file landed to rows in the view; the batch's own run %.2f s", b.runSeconds()));
                }
                if (arrival > 0) {
                    Rss.resetPeak();
                    for (WarmStream.Batch b : new WarmStream(spark, running, wh, log).run(warm, arrival)) {
                        add(config, WARM_STEP + b.events() + " events" + ARRIVAL_SUFFIX, b.visibleSeconds(), 0, b.events(), b.events(), 0, 1, 0,
                                Rss.peakMb(), b.sparkJobs(), String.format(Locale.ROOT, "file landed to rows in the view; the batch's own run"
                                        + " %.2f s; %d stored rows rewritten", b.runSeconds(), b.rewritten()));
                    }
                }
            }
        }
        if (!listing.isEmpty() && !listed) {
            listed = true;
            listing(config);
        }
        summarize(config);
        writeCsv();
        return steps.stream().filter(x -> x.config().equals(config)).toList();
    }

    private boolean listed;
    static final String LISTING_STEP = "listing: ";

    /**
     * The listing measurement, once per bench run: for each count of older files, a small warehouse
     * (20,000 events over 10 days, 2 % held back) gets its base run, then that many one-event Parquet
     * files in arrival folders before the base window (30 a folder, going back a day at a time, as
     * years of history would lie), then the held-back files; the first cold incremental run after the
     * base and the next one (nothing new) are timed.
     */
    private void listing(String config) throws Exception {
        Instant asOf = Instant.parse("2025-07-12T00:00:00Z");
        for (long older : listing) {
            String tag = "listing_" + older;
            Path dir = out.resolve("work").resolve(tag);
            deleteTree(dir);
            Duration holdBack = Duration.ofSeconds(Math.round(10 * 86_400.0 * 0.02));
            List<String> o = overrides(dir, "bench_" + tag, "lake", 2, Math.round(20_000 / GENERATOR_YIELD), holdBack);
            Settings s = Settings.load(null, o);
            new SampleDataGenerator(spark, s.paths().raw()).generate(s.generator());
            try (Warehouse wh = warehouse(s)) {
                new DailyBaseJob(spark, s, wh, Clock.systemUTC()).run(CommandLine.parse(new String[] {"--mode", "daily_base", "--as-of",
                        asOf.toString()}).request());
                java.time.LocalDate firstOpen = DailyBaseJob.windowStart(asOf, 10, java.util.Optional.empty()).atZone(java.time.ZoneOffset.UTC)
                        .toLocalDate().minusDays(2);
                olderFiles(Path.of(s.paths().raw()), older, firstOpen.minusDays(1));
                land(Path.of(s.generator().incoming()), Path.of(s.paths().raw()));
                cold(config, LISTING_STEP + older + " older files, first run after base", dir.resolve("first.log"), wh, o, "incremental", asOf);
                cold(config, LISTING_STEP + older + " older files, next run", dir.resolve("next.log"), wh, o, "incremental", asOf);
            }
        }
    }

    /** {@code count} one-event Parquet files, 30 to an arrival folder, from {@code last} backwards a day at a time. */
    private void olderFiles(Path raw, long count, java.time.LocalDate last) throws IOException {
        Path scratch = raw.resolve("_older_scratch");
        spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create("old-0", "old-shipment", java.sql.Timestamp.from(
                last.atStartOfDay(java.time.ZoneOffset.UTC).toInstant()), "SCAN", "IN_TRANSIT", null, java.sql.Timestamp.from(
                last.atStartOfDay(java.time.ZoneOffset.UTC).toInstant()))), com.shipmenttimeline.schemas.RawEvents.EVENT_SCHEMA)
                .coalesce(1).write().mode(org.apache.spark.sql.SaveMode.Overwrite).parquet(scratch.toString());
        Path one;
        try (Stream<Path> parts = Files.list(scratch)) {
            one = parts.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        for (long i = 0; i < count; i++) {
            Path folder = raw.resolve("shipment_events").resolve("ingest_date=" + last.minusDays(i / 30));
            if (i % 30 == 0) {
                Files.createDirectories(folder);
            }
            Files.copy(one, folder.resolve("older-" + i + ".parquet"));
        }
        deleteTree(scratch);
    }

    /** The first run after the base with the most older files against the one with the fewest. */
    private String listingSummary(String config) {
        List<Step> first = steps.stream().filter(x -> x.config().equals(config) && x.step().startsWith(LISTING_STEP)
                && x.step().endsWith("first run after base")).toList();
        if (first.size() < 2) {
            return "";
        }
        Step few = first.get(0);
        Step many = first.get(first.size() - 1);
        return String.format(Locale.ROOT, "; listing %s files / %s files = %.2f", count(many.step()), count(few.step()),
                many.wallSeconds() / few.wallSeconds());
    }

    private static String count(String listingStep) {
        return listingStep.substring(LISTING_STEP.length()).replaceAll(" .*", "");
    }

    private Settings settings(Path dir, String schema, String lake, int partitions, long events, Duration holdBack, String... more) {
        return Settings.load(null, overrides(dir, schema, lake, partitions, events, holdBack, more));
    }

    /** A configuration's settings as key=value overrides (a cold step's command line takes them as they are). */
    private List<String> overrides(Path dir, String schema, String lake, int partitions, long events, Duration holdBack, String... more) {
        return Stream.concat(Stream.of("timeline.data-dir=" + dir, "paths.lake=" + dir.resolve(lake),
                "paths.streaming-checkpoint=" + dir.resolve(lake + "-stream"), "spark.shuffle-partitions=" + partitions,
                "warehouse.kind=postgres", "warehouse.jdbc-url=" + server.jdbcUrl(), "warehouse.user=postgres", "warehouse.schema=" + schema,
                "warehouse.refresh-view=never", "generator.events=" + events, "generator.days=10", "generator.end-date=2025-07-11",
                "generator.seed=42", "generator.json-share=0", "generator.hold-back=" + holdBack.toSeconds() + "s",
                "generator.when-empty=false", "metrics.sink=log"), Stream.of(more)).toList();
    }

    /**
     * A cold step: the launcher in a fresh JVM ({@link ColdStep}), against this configuration's
     * warehouse; rows and files from the audit rows it committed.
     */
    private void cold(String config, String name, Path log, Warehouse wh, List<String> overrides, String mode, Instant asOf) throws Exception {
        Instant before = Instant.now();
        List<String> args = new ArrayList<>(List.of(mode, "--as-of", asOf.toString()));
        args.addAll(overrides);
        ColdStep.Timings t = ColdStep.run(args, log, this.log);
        long[] c = new long[3];
        try (java.sql.Connection conn = wh.connect(); java.sql.PreparedStatement ps = conn.prepareStatement("SELECT COALESCE(SUM(rows_read), 0),"
                + " COALESCE(SUM(timeline_rows), 0), COALESCE(SUM(files_read), 0) FROM " + overrides.stream().filter(o -> o.startsWith("warehouse.schema="))
                .findFirst().orElseThrow().substring("warehouse.schema=".length()) + ".processing_runs WHERE status = 'succeeded' AND started_at >= ?")) {
            ps.setTimestamp(1, java.sql.Timestamp.from(before));
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                c = new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
            }
        }
        add(config, name, t.wall(), 0, c[0], c[1], 0, c[2], 0, 0, Math.max(0, t.sparkJobs()), Double.isNaN(t.jvmAndSpark())
                ? "fresh JVM (as an EMR step)" : t.note());
    }

    private Warehouse warehouse(Settings s) {
        Warehouse w = existingWarehouse(s);
        w.execute("DROP SCHEMA IF EXISTS " + s.warehouse().schema() + " CASCADE");
        return w;
    }

    /** The configuration's warehouse as the runs left it. */
    private Warehouse existingWarehouse(Settings s) {
        return Warehouse.postgres(server.jdbcUrl(), "postgres", java.util.Optional.empty(), new com.shipmenttimeline.schemas.WarehouseDdl(
                com.shipmenttimeline.schemas.SqlDialect.POSTGRES, s.warehouse().schema(), materialized), s.warehouse().batchSize(), null,
                com.shipmenttimeline.jobs.warehouse.Retry.DEFAULT);
    }

    private static long[] record(RunRecord r) {
        return new long[] {r.counts().read(), r.counts().timeline(), r.filesRead()};
    }

    /** The base run's stages from listing the raw files to the lake written (DuckDB does the same work). */
    private void lakeShare(String config, String name) {
        long nanos = 0;
        for (String stage : List.of("list raw files", "read and deduplicate", "classify", "stage keys", "compute timeline", "write lake")) {
            nanos += stageNanos.getOrDefault(stage, 0L);
        }
        add(config, name, nanos / 1e9, 0, 0, 0, 0, 0, 0, 0, 0, "sum of the job's stages, within 'base: job'");
    }

    /** Warehouse load rate: the base rows from the lake into a PostgreSQL staging table. */
    private void loadRate(String config, Warehouse wh, Settings s) {
        Dataset<Row> rows = spark.read().format("delta").load(new TimelineLake(spark, s.paths().lake()).path(TimelineLake.BASE_TABLE))
                .select(TimelineColumns.names(TimelineColumns.BASE)[0], java.util.Arrays.copyOfRange(TimelineColumns.names(TimelineColumns.BASE), 1,
                        TimelineColumns.names(TimelineColumns.BASE).length))
                .persist(StorageLevel.MEMORY_AND_DISK());
        long count = rows.count();
        measure(config, "warehouse load (COPY)", () -> {
            wh.staging().stage(rows, "bench_load", TimelineColumns.BASE);
            return null;
        }, r -> new long[] {count, count, 0});
        noteLast(String.format(Locale.ROOT, "%.0f rows/s", count / steps.get(steps.size() - 1).wallSeconds()));
        wh.staging().drop("bench_load");
        rows.unpersist();
    }

    private void reference(String config, Settings s, Instant windowStart) throws Exception {
        String duckOut = s.paths().raw() + "/../duckdb-timeline.parquet";
        try (DuckDbReference d = new DuckDbReference(Runtime.getRuntime().availableProcessors())) {
            measure(config, "duckdb: same fields", () -> {
                try {
                    d.compute(s.paths().raw(), windowStart, duckOut);
                    return d.rows(duckOut);
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            }, rows -> new long[] {0, rows, 0});
            Map<String, Long> diff = d.compare(duckOut, new TimelineLake(spark, s.paths().lake()).path(TimelineLake.BASE_TABLE) + "/**/*.parquet");
            long bad = diff.values().stream().mapToLong(Long::longValue).sum();
            noteLast(bad == 0 ? "every row equal to Spark's" : "DIFFERS from Spark: " + diff);
        }
    }

    /** Sets the note of the step measured last. */
    private void noteLast(String note) {
        Step l = steps.get(steps.size() - 1);
        steps.set(steps.size() - 1, new Step(l.config(), l.step(), l.wallSeconds(), l.cpuSeconds(), l.rowsRead(), l.rowsWritten(),
                l.rowsShuffled(), l.filesRead(), l.maxStateRows(), l.peakRssMb(), l.sparkJobs(), note));
    }

    /** Copies the event files under {@code incoming}/shipment_events into the same arrival folders under {@code raw}: files that arrive. */
    public static void land(Path incoming, Path raw) throws IOException {
        Path src = incoming.resolve("shipment_events");
        if (!Files.isDirectory(src)) {
            return;
        }
        try (Stream<Path> files = Files.walk(src)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path target = raw.resolve("shipment_events").resolve(src.relativize(f));
                Files.createDirectories(target.getParent());
                Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Runs one step, measuring it; {@code counts} gives rows read, written and files read of its result. */
    private <T> T measure(String config, String name, Supplier<T> work, java.util.function.Function<T, long[]> counts) {
        Rss.resetPeak();
        counters.reset();
        synchronized (stageNanos) {
            stageNanos.clear();
        }
        long cpu0 = cpuNanos();
        long t0 = System.nanoTime();
        T result = work.get();
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (cpuNanos() - cpu0) / 1e9;
        try {
            spark.sparkContext().listenerBus().waitUntilEmpty();
        } catch (Exception e) { // a TimeoutException, declared by Scala only at run time
            log.println("bench: Spark's listener bus did not drain; shuffle and state figures may be short");
        }
        long[] c = counts.apply(result);
        add(config, name, wall, cpu, c == null ? 0 : c[0], c == null ? 0 : c[1], counters.shuffleRecords.get(), c == null ? 0 : c[2],
                counters.maxJdbcRecords.get(), Rss.peakMb(), counters.jobs.get(), "");
        return result;
    }

    private void add(String config, String step, double wall, double cpu, long read, long written, long shuffled, long files, long state,
            long rss, long jobs, String note) {
        Step s = new Step(config, step, wall, cpu, read, written, shuffled, files, state, rss, jobs, note);
        steps.add(s);
        log.println(format(s));
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * The warm-stream batches by size: the first batch of a size, and the median of the later ones
     * (the first pays for the JVM's compilation of the batch's code; the later ones are the steady
     * fixed cost of a batch).
     */
    private String warmSummary(String config) {
        Map<String, List<Double>> bySize = new LinkedHashMap<>();
        steps.stream().filter(x -> x.config().equals(config) && x.step().startsWith(WARM_STEP))
                .forEach(x -> bySize.computeIfAbsent(x.step().substring(WARM_STEP.length()), k -> new ArrayList<>()).add(x.wallSeconds()));
        StringBuilder sb = new StringBuilder();
        bySize.forEach((size, seconds) -> {
            sb.append(String.format(Locale.ROOT, "; warm %s: %.2f s", size, seconds.get(0)));
            if (seconds.size() > 1) {
                List<Double> later = seconds.subList(1, seconds.size()).stream().sorted().toList();
                int m = later.size();
                double median = m % 2 == 1 ? later.get(m / 2) : (later.get(m / 2 - 1) + later.get(m / 2)) / 2;
                sb.append(String.format(Locale.ROOT, " first, median %.2f s of the next %d", median, m));
            }
        });
        return sb.toString();
    }

    /** Out of order against in order, per warm batch size: the steady medians (the first batch of each kind set aside). */
    private String arrivalSummary(String config) {
        StringBuilder sb = new StringBuilder();
        Map<Long, List<Double>> inOrder = BenchmarkPlots.warmBySize(steps.stream().filter(x -> !x.step().endsWith(ARRIVAL_SUFFIX)).toList(), config);
        Map<Long, List<Double>> outOfOrder = new java.util.TreeMap<>();
        steps.stream().filter(x -> x.config().equals(config) && x.step().startsWith(WARM_STEP) && x.step().endsWith(ARRIVAL_SUFFIX))
                .forEach(x -> outOfOrder.computeIfAbsent(Long.parseLong(x.step().substring(WARM_STEP.length()).replaceAll(" .*", "")),
                        k -> new ArrayList<>()).add(x.wallSeconds()));
        outOfOrder.forEach((size, seconds) -> {
            if (inOrder.containsKey(size)) {
                double o = BenchmarkPlots.steady(seconds);
                double i = BenchmarkPlots.steady(inOrder.get(size));
                sb.append(String.format(Locale.ROOT, "; warm %d events 20%% out of order: median %.2f s against %.2f s in order = %.2f x", size, o,
                        i, o / i));
            }
        });
        return sb.toString();
    }

    private void summarize(String config) {
        Map<String, Step> by = new LinkedHashMap<>();
        steps.stream().filter(x -> x.config().equals(config)).forEach(x -> by.put(x.step(), x));
        Step coldInc = by.get("incremental: cold step");
        Step coldFull = by.get("full recompute: cold step");
        Step inc = by.getOrDefault("incremental: job", coldInc);
        Step fullJob = by.getOrDefault("full recompute: job", coldFull);
        Step lake = by.get("base: read to lake written");
        Step duck = by.get("duckdb: same fields");
        StringBuilder sb = new StringBuilder();
        if (inc != null && fullJob != null) {
            sb.append(inc == coldInc
                    ? String.format(Locale.ROOT, "cold step / full recompute = %.3f (1/%.1f)", inc.wallSeconds() / fullJob.wallSeconds(),
                            fullJob.wallSeconds() / inc.wallSeconds())
                    : String.format(Locale.ROOT, "incremental / full recompute = %.3f (1/%.0f)", inc.wallSeconds() / fullJob.wallSeconds(),
                            fullJob.wallSeconds() / inc.wallSeconds()));
            Step incView = by.get("incremental: view refresh");
            Step fullView = by.get("full recompute: view refresh");
            if (incView != null && fullView != null) {
                double paid = inc.wallSeconds() + incView.wallSeconds();
                double whole = fullJob.wallSeconds() + fullView.wallSeconds();
                sb.append(String.format(Locale.ROOT, "; freshness (job + view) = %.3f (1/%.0f)", paid / whole, whole / paid));
            }
        }
        sb.append(warmSummary(config));
        List<Step> warmThousands = steps.stream().filter(x -> x.config().equals(config) && x.step().equals(WARM_STEP + "1000 events")).toList();
        if (warmThousands.size() > 1) {
            sb.append(String.format(Locale.ROOT, "; spark jobs per warm batch = %.0f", BenchmarkPlots.steady(
                    warmThousands.stream().map(x -> (double) x.sparkJobs()).toList())));
        }
        sb.append(listingSummary(config));
        sb.append(arrivalSummary(config));
        if (lake != null && duck != null) {
            sb.append(String.format(Locale.ROOT, "%sbase read-to-lake / duckdb = %.2f", sb.length() > 0 ? "; " : "",
                    lake.wallSeconds() / duck.wallSeconds()));
        }
        if (sb.length() > 0) {
            add(config, "summary", 0, 0, 0, 0, 0, 0, 0, 0, 0, sb.toString().replaceFirst("^; ", ""));
        }
    }

    static String header() {
        return String.format(Locale.ROOT, "%-34s %-30s %9s %9s %10s %10s %11s %6s %10s %8s %5s  %s", "config", "step", "wall_s", "cpu_s",
                "rows_read", "rows_wrtn", "rows_shufld", "files", "max_state", "rss_mb", "jobs", "note");
    }

    static String format(Step s) {
        return String.format(Locale.ROOT, "%-34s %-30s %9.2f %9.2f %10d %10d %11d %6d %10d %8d %5d  %s", s.config(), s.step(), s.wallSeconds(),
                s.cpuSeconds(), s.rowsRead(), s.rowsWritten(), s.rowsShuffled(), s.filesRead(), s.maxStateRows(), s.peakRssMb(), s.sparkJobs(),
                s.note());
    }

    void report(PrintStream ps) {
        ps.println();
        ps.println(header());
        steps.forEach(s -> ps.println(format(s)));
        ps.println("CSV: " + out.resolve("latest.csv"));
    }

    private void writeCsv() throws IOException {
        StringBuilder csv = new StringBuilder(
                "config,step,wall_s,cpu_s,rows_read,rows_written,rows_shuffled,files_read,max_state_rows,peak_rss_mb,spark_jobs,note\n");
        for (Step s : steps) {
            csv.append(String.format(Locale.ROOT, "\"%s\",\"%s\",%.3f,%.3f,%d,%d,%d,%d,%d,%d,%d,\"%s\"%n", s.config(), s.step(), s.wallSeconds(),
                    s.cpuSeconds(), s.rowsRead(), s.rowsWritten(), s.rowsShuffled(), s.filesRead(), s.maxStateRows(), s.peakRssMb(),
                    s.sparkJobs(), s.note().replace("\"", "'")));
        }
        Files.writeString(out.resolve("latest.csv"), csv);
        Files.writeString(out.resolve("bench-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmm")) + ".csv"), csv);
    }

    List<Step> steps() {
        return List.copyOf(steps);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Rows shuffled, and the largest stored-state read (records of a JDBC scan stage), since the last reset. */
    static final class Counters extends SparkListener {
        final AtomicLong shuffleRecords = new AtomicLong();
        final AtomicLong maxJdbcRecords = new AtomicLong();
        final AtomicLong jobs = new AtomicLong();

        void reset() {
            shuffleRecords.set(0);
            maxJdbcRecords.set(0);
            jobs.set(0);
        }

        @Override
        public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart event) {
            jobs.incrementAndGet();
        }

        @Override
        public void onStageCompleted(SparkListenerStageCompleted event) {
            StageInfo info = event.stageInfo();
            if (info.taskMetrics() == null) {
                return;
            }
            shuffleRecords.addAndGet(info.taskMetrics().shuffleWriteMetrics().recordsWritten());
            boolean jdbc = false;
            scala.collection.Iterator<org.apache.spark.storage.RDDInfo> rdds = info.rddInfos().iterator();
            while (rdds.hasNext()) {
                String name = rdds.next().name();
                jdbc |= name != null && name.contains("JDBC");
            }
            if (jdbc) {
                maxJdbcRecords.accumulateAndGet(info.taskMetrics().inputMetrics().recordsRead(), Math::max);
            }
        }
    }

    /** Peak resident memory of this process (Linux): reset through /proc/self/clear_refs, read as VmHWM. */
    static final class Rss {
        private Rss() {}

        static void resetPeak() {
            try {
                Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            } catch (IOException | UncheckedIOException | SecurityException e) {
                // not Linux, or not allowed: the peak is then since the JVM started
            }
        }

        static long peakMb() {
            return statusMb("VmHWM:");
        }

        static long currentMb() {
            return statusMb("VmRSS:");
        }

        /** A size line of /proc/self/status in MB; -1 where there is none. */
        private static long statusMb(String key) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith(key)) {
                        return Long.parseLong(line.replaceAll("\\D+", "")) / 1024;
                    }
                }
            } catch (IOException | RuntimeException e) {
                return -1;
            }
            return -1;
        }
    }
}
