package com.shipmenttimeline.bench;

import com.shipmenttimeline.jobs.cli.CommandLine;
import com.shipmenttimeline.jobs.run.RunRequest;
import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.SparkSessions;
import com.shipmenttimeline.jobs.dev.SampleDataGenerator;
import com.shipmenttimeline.jobs.run.DailyBaseJob;
import com.shipmenttimeline.jobs.run.IncrementalJob;
import com.shipmenttimeline.jobs.warehouse.EmbeddedWarehouseServer;
import com.shipmenttimeline.jobs.warehouse.Warehouse;

import com.shipmenttimeline.schemas.RawEvents;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The incremental job under load (docs/reliability.md, "Load"): after a base run over a
 * generated history, many consecutive small batches in one JVM, then one batch of millions of
 * events. After every run it forces a GC and records the heap in use, the JVM's threads and open
 * files, Spark's cached RDDs and active streaming queries, and the warehouse's staging tables,
 * held leases and open connections. Memory must not grow across batches and no state may be left
 * behind; the run exits 1 if any is. Run it with {@code bench/run load}.
 */
public final class IncrementalLoad {
    static final String USAGE = String.join("\n",
            "usage: bench/run load [--history 200000] [--batches 100] [--batch-events 2000] [--big 8000000] [--out DIR] [--port 54342]",
            "  --history       events of the base run's history",
            "  --batches       consecutive small incremental runs, each over one new file of --batch-events events",
            "  --big           events asked of the generator for the one large batch afterwards (0: none); over its 3 days",
            "                  it yields about 40% of that (shipments still under way are cut), so 8000000 gives ~3.4 million");

    /** What one run left behind. */
    record Sample(String run, int batch, long events, double seconds, long heapMb, int threads, long openFiles, int cachedRdds,
            int activeStreams, long stagingTables, long leasesHeld, long connections, long rssMb, long peakRssMb) {}

    private final SparkSession spark;
    private final EmbeddedWarehouseServer server;
    private final Path out;
    private final PrintStream log;
    private final List<Sample> samples = new ArrayList<>();
    /** Live threads by name with the digits taken out, after the first small batch: growth shows which pool grows. */
    private java.util.Map<String, Integer> threadsAtFirstBatch = java.util.Map.of();
    final List<String> leaks = new ArrayList<>();
    /** What the session held before the load began (a shared test JVM's earlier tests): the leak checks count above it. */
    private final int cachedBefore;

    IncrementalLoad(SparkSession spark, EmbeddedWarehouseServer server, Path out, PrintStream log) {
        this.spark = spark;
        this.server = server;
        this.out = out;
        this.log = log;
        this.cachedBefore = ownCached().size();
    }

    /**
     * Cached RDDs that are not Delta's: Delta keeps each table's current snapshot state cached (named
     * "Delta Table State ...") and uncaches it when a newer snapshot replaces it, so those are
     * bounded by the tables; they are counted apart ({@link #deltaStates}).
     */
    private List<String> ownCached() {
        List<String> d = new ArrayList<>();
        scala.collection.Iterator<org.apache.spark.rdd.RDD<?>> it = spark.sparkContext().getPersistentRDDs().values().iterator();
        while (it.hasNext()) {
            org.apache.spark.rdd.RDD<?> r = it.next();
            if (r.name() == null || !r.name().startsWith("Delta Table State")) {
                d.add(r.id() + " " + r.name() + " at " + r.creationSite().shortForm());
            }
        }
        return d;
    }

    /** Delta's cached snapshot states of this load's lake tables. */
    private int deltaStates() {
        int n = 0;
        String lake = out.resolve("work").toAbsolutePath().toString();
        scala.collection.Iterator<org.apache.spark.rdd.RDD<?>> it = spark.sparkContext().getPersistentRDDs().values().iterator();
        while (it.hasNext()) {
            org.apache.spark.rdd.RDD<?> r = it.next();
            if (r.name() != null && r.name().startsWith("Delta Table State") && r.name().contains(lake)) {
                n++;
            }
        }
        return n;
    }

    public static void main(String[] args) throws Exception {
        long history = 200_000;
        int batches = 100;
        int batchEvents = 2000;
        long big = 8_000_000;
        Path out = Path.of("bench-results", "load");
        int port = 54342;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--history" -> history = Long.parseLong(args[++i].replace("_", ""));
                case "--batches" -> batches = Integer.parseInt(args[++i]);
                case "--batch-events" -> batchEvents = Integer.parseInt(args[++i].replace("_", ""));
                case "--big" -> big = Long.parseLong(args[++i].replace("_", ""));
                case "--out" -> out = Path.of(args[++i]);
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    System.err.println("bench load: unknown argument " + args[i] + "\n" + USAGE);
                    System.exit(2);
                }
            }
        }
        Benchmark.deleteTree(out);
        Files.createDirectories(out);
        Settings base = Settings.load(null, List.of("timeline.data-dir=" + out.resolve("work")));
        SparkSession spark = SparkSessions.create(base.spark());
        int exit;
        try (EmbeddedWarehouseServer server = EmbeddedWarehouseServer.start(out.resolve("warehouse").toString(), port)) {
            IncrementalLoad load = new IncrementalLoad(spark, server, out, System.out);
            load.run(history, batches, batchEvents, big);
            exit = load.leaks.isEmpty() ? 0 : 1;
        } finally {
            spark.stop();
        }
        System.exit(exit);
    }

    Settings settings(long historyEvents) {
        Path dir = out.resolve("work");
        return Settings.load(null, List.of("timeline.data-dir=" + dir, "spark.shuffle-partitions=8", "warehouse.kind=postgres",
                "warehouse.jdbc-url=" + server.jdbcUrl(), "warehouse.user=postgres", "warehouse.schema=load",
                "warehouse.refresh-view=every-run", "generator.events=" + historyEvents, "generator.days=10", "generator.end-date=2025-07-11",
                "generator.seed=42", "generator.json-share=0", "generator.hold-back=0s", "generator.when-empty=false", "metrics.sink=log"));
    }

    void run(long historyEvents, int batches, int batchEvents, long bigEvents) throws Exception {
        Settings s = settings(historyEvents);
        log.printf("load: generating a history of about %,d events ...%n", historyEvents);
        SampleDataGenerator.Written history = new SampleDataGenerator(spark, s.paths().raw()).generate(s.generator());
        try (Warehouse wh = Warehouse.postgres(server.jdbcUrl(), "postgres", java.util.Optional.empty(), "load", 10_000, null)) {
            wh.execute("DROP SCHEMA IF EXISTS load CASCADE");
            Instant asOf = Instant.parse("2025-07-12T00:00:00Z");
            long t0 = System.nanoTime();
            new DailyBaseJob(spark, s, wh, Clock.systemUTC()).run(CommandLine.parse(new String[] {"--mode", "daily_base", "--as-of",
                asOf.toString()}).request());
            sample("base", 0, history.events(), t0, wh);
            // A first incremental run with nothing new starts the stream (it offers the history's files once).
            t0 = System.nanoTime();
            new IncrementalJob(spark, s, wh, Clock.systemUTC()).run(CommandLine.parse(new String[] {"--mode", "incremental", "--as-of",
                asOf.toString()}).request());
            sample("incremental (nothing new)", 0, 0, t0, wh);

            Instant clock = asOf;
            for (int b = 1; b <= batches; b++) {
                clock = clock.plus(Duration.ofMinutes(10));
                writeBatch(s, b, batchEvents, history.shipments(), clock);
                t0 = System.nanoTime();
                IncrementalJob.RunResult r = new IncrementalJob(spark, s, wh, Clock.systemUTC()).run(CommandLine.parse(new String[] {
                    "--mode", "incremental", "--as-of", clock.plus(Duration.ofMinutes(10)).toString()}).request());
                long written = r.batches().stream().mapToLong(x -> x.counts().timeline()).sum();
                if (written != batchEvents) {
                    leaks.add("batch " + b + " wrote " + written + " rows, not " + batchEvents);
                }
                sample("small batch", b, written, t0, wh);
            }

            if (bigEvents > 0) {
                Instant bigStart = clock.plus(Duration.ofHours(1));
                log.printf("load: generating one batch of about %,d events ...%n", bigEvents);
                long bigWritten = writeBig(s, bigEvents, bigStart);
                t0 = System.nanoTime();
                IncrementalJob.RunResult r = new IncrementalJob(spark, s, wh, Clock.systemUTC()).run(CommandLine.parse(new String[] {
                    "--mode", "incremental", "--as-of", bigStart.plus(Duration.ofDays(4)).toString()}).request());
                long read = r.batches().stream().mapToLong(x -> x.counts().read()).sum();
                if (read != bigWritten) {
                    leaks.add("the big batch read " + read + " rows, not " + bigWritten);
                }
                sample("big batch", batches + 1, read, t0, wh);
            }
            try (Connection c = java.sql.DriverManager.getConnection(server.jdbcUrl(), "postgres", "");
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) - count(DISTINCT event_id) FROM load.shipment_timeline_realtime")) {
                rs.next();
                if (rs.getLong(1) != 0) {
                    leaks.add(rs.getLong(1) + " duplicate events in the view");
                }
            }
        }
        report();
    }

    /** One Parquet file of new events for existing shipments, all after the checkpoint. */
    private void writeBatch(Settings s, int b, int n, long shipments, Instant at) throws IOException {
        SplittableRandom rnd = new SplittableRandom(b);
        List<Row> rows = new ArrayList<>(n);
        long base = at.getEpochSecond() * 1_000_000L;
        String[] statuses = {"IN_TRANSIT", "ARRIVED_AT_FACILITY", "DEPARTED_FACILITY", "OUT_FOR_DELIVERY", "DELIVERED"};
        for (int i = 0; i < n; i++) {
            long ts = base + (long) i * 600_000_000L / n;
            Timestamp t = Timestamp.from(Instant.ofEpochSecond(ts / 1_000_000, (ts % 1_000_000) * 1000));
            rows.add(RowFactory.create("LOAD-" + b + "-" + i, String.format("SHP-%08d", rnd.nextLong(shipments)), t, "SCAN",
                    statuses[rnd.nextInt(statuses.length)], String.format("LOC-%03d", 1 + rnd.nextInt(SampleDataGenerator.LOCATIONS)), t));
        }
        Path scratch = out.resolve("scratch");
        spark.createDataFrame(rows, RawEvents.EVENT_SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite).parquet(scratch.toString());
        Path day = Files.createDirectories(Path.of(s.paths().raw(), RawEvents.EVENTS_DIR,
                "ingest_date=" + at.atZone(ZoneOffset.UTC).toLocalDate()));
        try (Stream<Path> parts = Files.list(scratch)) {
            Files.move(parts.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow(), day.resolve("load-" + b + ".parquet"));
        }
    }

    /** Millions of events of the generator (its shipment ids overlap the history's), landed as new files. Returns the rows written. */
    private long writeBig(Settings s, long events, Instant from) throws IOException {
        Path scratch = out.resolve("big");
        Settings g = Settings.load(null, List.of("timeline.data-dir=" + scratch, "generator.events=" + events, "generator.days=3",
                "generator.end-date=" + from.atZone(ZoneOffset.UTC).toLocalDate().plusDays(3), "generator.seed=7", "generator.json-share=0.1",
                "generator.hold-back=0s"));
        SampleDataGenerator.Written w = new SampleDataGenerator(spark, g.paths().raw()).generate(g.generator());
        Benchmark.land(Path.of(g.paths().raw()), Path.of(s.paths().raw()));
        return w.events();
    }

    private void sample(String run, int batch, long events, long t0, Warehouse wh) throws Exception {
        double seconds = (System.nanoTime() - t0) / 1e9;
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Thread.sleep(200);
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024);
        int threads = Thread.activeCount();
        long openFiles;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            openFiles = fds.count();
        } catch (IOException e) {
            openFiles = -1;
        }
        List<String> own = ownCached();
        int cached = own.size() - cachedBefore;
        int deltaStates = deltaStates();
        int streams = spark.streams().active().length;
        long staging;
        long leases;
        long connections;
        try (Connection c = wh.connect(); Statement st = c.createStatement()) {
            staging = single(st, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'load' AND table_name LIKE 'stg%'");
            leases = single(st, "SELECT count(*) FROM load.timeline_lease WHERE holder_run_id IS NOT NULL");
            connections = single(st, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'") - 1;
        }
        if (run.equals("small batch") && batch == 1) {
            threadsAtFirstBatch = threadNames();
        }
        Sample smp = new Sample(run, batch, events, seconds, heap, threads, openFiles, cached, streams, staging, leases, connections,
                Benchmark.Rss.currentMb(), Benchmark.Rss.peakMb());
        samples.add(smp);
        // Two lake tables, each with at most its current snapshot's two cached states.
        if (cached != 0 || deltaStates > 4 || streams != 0 || staging != 0 || leases != 0 || connections != 0) {
            leaks.add("after " + run + " " + batch + ": " + cached + " cached RDDs " + (cached > 0 ? own : "") + ", " + deltaStates
                    + " Delta snapshot states, " + streams + " active streams, " + staging + " staging tables, " + leases + " leases, "
                    + connections + " open connections");
        }
        log.printf(Locale.ROOT, "%-26s %4d %,10d events %7.1f s  heap %5d MB  threads %3d  fds %4d  rss %5d MB (peak %5d)%n", run, batch,
                events, seconds, heap, threads, openFiles, smp.rssMb(), smp.peakRssMb());
    }

    static java.util.Map<String, Integer> threadNames() {
        java.util.Map<String, Integer> m = new java.util.TreeMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            m.merge(t.getName().replaceAll("\\d+", "#"), 1, Integer::sum);
        }
        return m;
    }

    /** The thread names that grew since the first small batch, with their growth. */
    String threadGrowth() {
        java.util.Map<String, Integer> now = threadNames();
        List<String> grown = new ArrayList<>();
        now.forEach((name, n) -> {
            int before = threadsAtFirstBatch.getOrDefault(name, 0);
            if (n > before) {
                grown.add(name + " +" + (n - before));
            }
        });
        return grown.isEmpty() ? "none" : String.join(", ", grown);
    }

    private static long single(Statement st, String sql) throws java.sql.SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The summary: per-batch time and heap at the 10th batch and at the last, the heap's trend, and any leak found. */
    void report() throws IOException {
        List<String> csv = new ArrayList<>();
        csv.add("run,batch,events,seconds,heap_mb,threads,open_files,cached_rdds,active_streams,staging_tables,leases_held,connections,rss_mb,peak_rss_mb");
        for (Sample x : samples) {
            csv.add(String.format(Locale.ROOT, "%s,%d,%d,%.2f,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d", x.run(), x.batch(), x.events(), x.seconds(),
                    x.heapMb(), x.threads(), x.openFiles(), x.cachedRdds(), x.activeStreams(), x.stagingTables(), x.leasesHeld(),
                    x.connections(), x.rssMb(), x.peakRssMb()));
        }
        Files.write(out.resolve("load.csv"), csv);
        List<Sample> small = samples.stream().filter(x -> x.run().equals("small batch")).toList();
        if (small.size() >= 20) {
            List<Sample> firstTen = small.subList(0, 10);
            List<Sample> lastTen = small.subList(small.size() - 10, small.size());
            log.printf(Locale.ROOT, "load: small batches %d..%d: %.1f s median, heap %d MB median; batches %d..%d: %.1f s median, heap %d MB"
                    + " median; heap slope over batches 10..%d: %+.2f MB per batch; threads %d -> %d; open files %d -> %d%n",
                    firstTen.get(0).batch(), firstTen.get(9).batch(), median(firstTen.stream().mapToDouble(Sample::seconds)),
                    (long) median(firstTen.stream().mapToDouble(Sample::heapMb)), lastTen.get(0).batch(), lastTen.get(9).batch(),
                    median(lastTen.stream().mapToDouble(Sample::seconds)), (long) median(lastTen.stream().mapToDouble(Sample::heapMb)),
                    small.size(), slope(small.subList(9, small.size())), small.get(9).threads(), small.get(small.size() - 1).threads(),
                    small.get(9).openFiles(), small.get(small.size() - 1).openFiles());
        }
        List<String> blocks = new ArrayList<>();
        for (int from = 0; from + 10 <= small.size(); from += 10) {
            blocks.add(Long.toString((long) median(small.subList(from, from + 10).stream().mapToDouble(Sample::heapMb))));
        }
        log.println("load: heap in use after GC, median of each 10 small batches (MB): " + String.join(" ", blocks));
        log.println("load: thread names that grew since the first small batch: " + threadGrowth());
        log.println(leaks.isEmpty() ? "load: no state left behind after any run (cached RDDs, streams, staging tables, leases, connections)"
                : "load: LEAKS: " + leaks);
        log.println("load: per-run figures in " + out.resolve("load.csv"));
    }

    List<Sample> samples() {
        return samples;
    }

    static double median(java.util.stream.DoubleStream values) {
        double[] v = values.sorted().toArray();
        return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Least-squares slope of heap in use against the batch number, MB per batch. */
    static double slope(List<Sample> xs) {
        double n = xs.size();
        double mx = xs.stream().mapToDouble(Sample::batch).average().orElse(0);
        double my = xs.stream().mapToDouble(Sample::heapMb).average().orElse(0);
        double num = 0;
        double den = 0;
        for (Sample x : xs) {
            num += (x.batch() - mx) * (x.heapMb() - my);
            den += (x.batch() - mx) * (x.batch() - mx);
        }
        return n < 2 || den == 0 ? 0 : num / den;
    }
}
