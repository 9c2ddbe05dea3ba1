package com.shipmenttimeline.bench;

import com.shipmenttimeline.jobs.cli.CommandLine;
import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.run.IncrementalJob;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.schemas.WarehouseTables;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * The fixed cost of one batch, apart from a step's cold start: the incremental job runs with a
 * processing-time trigger (the query keeps running), and for each batch size a file of that many
 * new events (one per stored shipment, after the checkpoint) lands in the raw folder; the figure is
 * the time from the file's landing (an atomic rename) to its last event being visible in the
 * realtime view. The trigger's own interval is part of what a user waits, so it is part of the figure.
 */
final class WarmStream {
    /** One batch: its events, seconds from landing to visible, its own run's seconds (processing_runs), Spark jobs meanwhile. */
    record Batch(long events, double visibleSeconds, double runSeconds, long sparkJobs, long rewritten) {}

    private final SparkSession spark;
    private final Settings settings;
    private final Warehouse warehouse;
    private final PrintStream log;
    private int landed;

    WarmStream(SparkSession spark, Settings settings, Warehouse warehouse, PrintStream log) {
        this.spark = spark;
        this.settings = settings;
        this.warehouse = warehouse;
        this.log = log;
    }

    List<Batch> run(List<Long> sizes) throws Exception {
        return run(sizes, 0);
    }

    /**
     * @param outOfOrderShare the share of each batch's events that belong before the latest stored
     *     event of their shipment (30 minutes before it), as late-syncing scanners send them; the rest
     *     come after the checkpoint
     */
    List<Batch> run(List<Long> sizes, double outOfOrderShare) throws Exception {
        Throwable[] failure = new Throwable[1];
        Thread job = new Thread(() -> {
            try {
                new IncrementalJob(spark, settings, warehouse, Clock.systemUTC()).run(CommandLine.parse(new String[] {"--mode", "incremental"}).request());
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "warm-stream");
        job.start();
        StreamingQuery query = awaitRunning(failure);
        List<Batch> batches = new ArrayList<>();
        try {
            for (long size : sizes) {
                batches.add(batch(size, outOfOrderShare, failure));
            }
        } finally {
            long idle = System.nanoTime() + 60_000_000_000L;
            while (query.status().isTriggerActive() && System.nanoTime() < idle) {
                Thread.sleep(20); // the batch's view step may still run: stop between triggers
            }
            query.stop();
            job.join(120_000);
        }
        return batches;
    }

    /** The running query, once its first trigger (nothing new: the files were committed) has passed. */
    private StreamingQuery awaitRunning(Throwable[] failure) throws InterruptedException {
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (failure[0] != null) {
                throw new IllegalStateException("the incremental job failed: " + failure[0], failure[0]);
            }
            StreamingQuery[] active = spark.streams().active();
            if (active.length > 0 && active[0].lastProgress() != null) {
                return active[0];
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the streaming query did not start within 5 minutes");
    }

    private Batch batch(long size, double outOfOrderShare, Throwable[] failure) throws Exception {
        // New event ids whichever stream lands them: in-order and out-of-order batches of one run must not meet.
        String prefix = outOfOrderShare > 0 ? "ooo-" : "warm-";
        String schema = settings.warehouse().schema();
        List<Row> rows = new ArrayList<>();
        Instant at;
        try (Connection c = warehouse.connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT last_processed_timestamp FROM " + schema + "." + WarehouseTables.CHECKPOINTS)) {
                rs.next();
                at = rs.getTimestamp(1).toInstant().plusSeconds(1);
            }
            // Shipments whose latest event is at least a day after the base window start, so that 30 minutes before it is in the window.
            try (ResultSet rs = st.executeQuery("SELECT shipment_id, last_event_timestamp FROM " + schema + "." + WarehouseTables.STATE
                    + " WHERE last_event_timestamp > (SELECT MAX(window_start) FROM " + schema + "." + WarehouseTables.RUNS
                    + " WHERE status = 'succeeded') + INTERVAL '1 day' ORDER BY shipment_id LIMIT " + size)) {
                int i = 0;
                long outOfOrder = Math.round(size * outOfOrderShare);
                while (rs.next()) {
                    Timestamp ts = i < outOfOrder ? Timestamp.from(rs.getTimestamp(2).toInstant().minusSeconds(1800).plusNanos(1000L * i))
                            : Timestamp.from(at.plusNanos(1000L * i));
                    rows.add(RowFactory.create(prefix + landed + "-" + i++, rs.getString(1), ts, "SCAN", "IN_TRANSIT", null,
                            Timestamp.from(at.plusNanos(1000L * i))));
                }
            }
        }
        String lastId = (String) rows.get(rows.size() - 1).get(0);
        Path file = land(rows, at, prefix + landed++ + ".parquet");
        AtomicLong jobs = new AtomicLong();
        long t0 = System.nanoTime();
        SparkListener counter = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart event) {
                jobs.incrementAndGet();
                if (Boolean.getBoolean("bench.jobs")) {
                    log.printf("JOB %d started at %.2f s: ", event.jobId(), (System.nanoTime() - t0) / 1e9);
                    log.println(event.properties().getProperty("spark.job.description") + " | "
                            + event.properties().getProperty("callSite.long", "").replaceAll("\\s+", " "));
                }
            }

            @Override
            public void onJobEnd(org.apache.spark.scheduler.SparkListenerJobEnd event) {
                if (Boolean.getBoolean("bench.jobs")) {
                    log.printf("JOB %d ended at %.2f s%n", event.jobId(), (System.nanoTime() - t0) / 1e9);
                }
            }
        };
        spark.sparkContext().addSparkListener(counter);
        Files.move(file, file.resolveSibling(file.getFileName().toString().substring(1)), StandardCopyOption.ATOMIC_MOVE);
        try (Connection c = warehouse.connect();
                PreparedStatement visible = c.prepareStatement("SELECT count(*) FROM " + schema + "." + WarehouseTables.REALTIME_VIEW + " WHERE event_id = ?")) {
            visible.setString(1, lastId);
            long deadline = t0 + 600_000_000_000L;
            while (System.nanoTime() < deadline) {
                if (failure[0] != null) {
                    throw new IllegalStateException("the incremental job failed: " + failure[0], failure[0]);
                }
                try (ResultSet rs = visible.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 1) {
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        spark.sparkContext().removeSparkListener(counter);
                        log.printf("warm stream: %d events (%.0f%% out of order) visible %.2f s after landing%n", rows.size(),
                                100 * outOfOrderShare, seconds);
                        return new Batch(rows.size(), seconds, lastRun(c, schema, "duration_seconds"), jobs.get(),
                                (long) lastRun(c, schema, "rewritten"));
                    }
                }
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("a batch of " + size + " events was not visible within 10 minutes");
    }

    /** A column of the batch's own audit row (the latest incremental run's). */
    private static double lastRun(Connection c, String schema, String column) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT " + column + " FROM " + schema + "." + WarehouseTables.RUNS
                + " WHERE process_type = 'incremental' AND status = 'succeeded' AND rows_read IS NOT NULL ORDER BY finished_at DESC LIMIT 1")) {
            return rs.next() ? rs.getDouble(1) : Double.NaN;
        }
    }

    /** Writes the rows as one Parquet file, hidden (a leading dot: the stream ignores it) in its arrival folder, and returns it. */
    private Path land(List<Row> rows, Instant at, String name) throws IOException {
        Path raw = Path.of(settings.paths().raw());
        Path scratch = raw.resolve("_warm_scratch");
        spark.createDataFrame(rows, RawEvents.EVENT_SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite).parquet(scratch.toString());
        Path folder = raw.resolve("shipment_events").resolve("ingest_date=" + at.atZone(ZoneOffset.UTC).toLocalDate());
        Files.createDirectories(folder);
        try (Stream<Path> parts = Files.list(scratch)) {
            Path part = parts.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Path hidden = folder.resolve("." + name);
            Files.move(part, hidden, StandardCopyOption.REPLACE_EXISTING);
            Benchmark.deleteTree(scratch);
            return hidden;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
