package com.shipmenttimeline.bench;

import com.shipmenttimeline.jobs.run.StageLog;
import com.shipmenttimeline.jobs.warehouse.EmbeddedWarehouseServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark at a tiny n, so that CI keeps it working (the real sweeps run by hand, see the
 * README): every step runs, the counts agree between the steps, and DuckDB's independent SQL
 * computes exactly Spark's rows.
 */
class BenchmarkSmokeTest {
    @TempDir
    Path out;

    @Test
    void aTinyRunMeasuresEveryStepAndDuckDbAgreesWithSparkRowForRow() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (EmbeddedWarehouseServer server = EmbeddedWarehouseServer.start(out.resolve("warehouse").toString(), 54341)) {
            Benchmark b = new Benchmark(SharedSpark.get(), server, out, true, true, new PrintStream(log, true, StandardCharsets.UTF_8));
            b.warm = List.of(40L, 40L);
            List<Benchmark.Step> steps = b.runConfiguration(6000, 2, 2);
            Map<String, Benchmark.Step> by = steps.stream().collect(Collectors.toMap(Benchmark.Step::step, s -> s, (x, y) -> y));
            assertTrue(by.get("duckdb: same fields").note().startsWith("every row equal"), by.get("duckdb: same fields").note());
            long base = by.get("base: job").rowsWritten();
            long incremental = by.get("incremental: job").rowsWritten();
            assertTrue(base > 3000 && incremental > 0, base + " " + incremental);
            assertEquals(base, by.get("duckdb: same fields").rowsWritten());
            assertEquals(base + incremental, by.get("full recompute: job").rowsWritten(), "the full recompute holds every event once");
            assertTrue(by.get("incremental: job").maxStateRows() > 0, "the batch read stored state of the shipments it continues");
            assertTrue(by.get("base: job").rowsShuffled() > 0 && by.get("base: job").wallSeconds() > 0);
            assertTrue(by.get("summary").note().contains("incremental / full recompute"));
            assertTrue(by.get("summary").note().contains("freshness (job + view)"), by.get("summary").note());
            assertTrue(by.get("incremental: job").sparkJobs() > 0, "Spark jobs are counted");
            Benchmark.Step warm = by.get("warm stream: 40 events");
            assertTrue(warm != null && warm.wallSeconds() > 0 && warm.rowsWritten() == 40, String.valueOf(warm));
            assertEquals(2, steps.stream().filter(x -> x.step().equals("warm stream: 40 events")).count(), "a batch a size given");
            assertTrue(by.get("summary").note().matches(".*warm 40 events: [0-9.]+ s first, median [0-9.]+ s of the next 1.*"), by.get("summary").note());
            Path png = TimelinePlot.write(steps, out.resolve("plot.png"));
            assertTrue(Files.size(png) > 1000, "a PNG was drawn");
            String csv = Files.readString(out.resolve("latest.csv"));
            assertEquals(steps.size() + 1, csv.lines().count(), csv);
        } finally {
            StageLog.observer = null;
        }
    }
}
