package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.dev.SampleDataGenerator;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.get_json_object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.schemas.QuarantineReason;
import com.shipmenttimeline.testing.Reliability;
import com.shipmenttimeline.testing.SharedSpark;
import com.shipmenttimeline.testing.TestWarehouse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Section 2 at scale: a generated data set in which 5% of the rows carry one of every defect of
 * the contract (malformed lines, each missing field, far-future and too-old timestamps, resends,
 * unknown locations), taken in by a base run and then an incremental run. Every row read lands in
 * exactly one outcome, the counts match the files counted independently, and each quarantine row
 * keeps the content it arrived with. {@code -Dtimeline.test.scale-events=N} sets the size
 * (bench/reliability --long runs it with 2,000,000).
 */
class BadInputAtScaleTest {
    static final long EVENTS = Long.getLong("timeline.test.scale-events", 60_000);

    @Test
    void everyRowLandsInExactlyOneOutcomeAndQuarantineKeepsTheOriginal(@TempDir Path dir) throws Exception {
        SparkSession spark = SharedSpark.get();
        IncrementalJobTest.Deployment d = new IncrementalJobTest.Deployment(dir);
        d.extra.add("incremental.max-files-per-trigger=1000");
        Path incoming = dir.resolve("incoming");
        Settings.GeneratorSettings g = Settings.load(null, List.of("generator.events=" + EVENTS, "generator.days=10",
                "generator.end-date=2025-07-11", "generator.defect-rate=0.05", "generator.json-share=0.3", "generator.hold-back=\"8 hours\"",
                "generator.incoming=\"" + incoming + "\"")).generator();
        new SampleDataGenerator(spark, d.raw.root().toString()).generate(g);

        d.base("--mode", "daily_base", "--as-of", "2025-07-11T16:00:00Z");
        // The held-back files arrive: copied in, the incremental run takes them.
        com.shipmenttimeline.bench.Benchmark.land(incoming, d.raw.root());
        d.incremental("--as-of", "2025-07-12T00:00:00Z");

        // The input, counted without the job's reader: Parquet rows, and JSON lines that are not blank.
        String events = d.raw.root().resolve("shipment_events").toString();
        Dataset<Row> parquet = spark.read().option("recursiveFileLookup", "true").option("pathGlobFilter", "*.parquet").parquet(events);
        Dataset<Row> lines = spark.read().option("recursiveFileLookup", "true").option("pathGlobFilter", "*.jsonl*").text(events)
                .filter(org.apache.spark.sql.functions.trim(col("value")).notEqual(""));
        long inputRows = parquet.count() + lines.count();

        Map<String, Long> totals = new TreeMap<>();
        for (Map<String, Object> run : TestWarehouse.query("SELECT * FROM " + d.t("processing_runs") + " WHERE rows_read IS NOT NULL")) {
            DailyBaseJobTest.assertCountsAddUp(run);
            for (Map.Entry<String, Object> e : run.entrySet()) {
                if (e.getValue() instanceof Long n && !e.getKey().endsWith("_seconds") && !e.getKey().equals("files_read")) {
                    totals.merge(e.getKey(), n, Long::sum);
                }
            }
        }
        assertEquals(inputRows, totals.get("rows_read"), "every row of every file was read, once: " + totals);
        long timeline = TestWarehouse.count("SELECT count(*) FROM " + d.t("shipment_timeline_realtime"));
        long quarantined = TestWarehouse.count("SELECT count(*) FROM " + d.t("quarantined_events"));
        long late = TestWarehouse.count("SELECT count(*) FROM " + d.t("late_events"));
        assertEquals(totals.get("timeline_rows"), timeline, "the timeline holds what the runs counted");
        assertEquals(timeline, TestWarehouse.count("SELECT count(DISTINCT event_id) FROM " + d.t("shipment_timeline_realtime")),
                "each event once");
        assertEquals(totals.get("quarantined"), quarantined, "the quarantine holds what the runs counted");
        assertEquals(totals.get("late"), late);
        assertEquals(inputRows, timeline + quarantined + totals.get("duplicates") + totals.get("already_processed") + late);

        Map<String, Long> byReason = new TreeMap<>();
        TestWarehouse.query("SELECT reason, count(*) AS n FROM " + d.t("quarantined_events") + " GROUP BY reason")
                .forEach(r -> byReason.put((String) r.get("reason"), (Long) r.get("n")));
        for (QuarantineReason reason : QuarantineReason.values()) {
            assertTrue(byReason.getOrDefault(reason.name(), 0L) > 0, "the data set has " + reason + " rows: " + byReason);
        }
        assertTrue(totals.get("duplicates") > 0 && totals.get("unknown_location") > 0, totals.toString());
        double defectShare = (double) (quarantined + totals.get("duplicates")) / inputRows;
        assertTrue(defectShare > 0.03 && defectShare < 0.07, "about 5% defective: " + defectShare);

        // Original content: a quarantined JSON row is its line, byte for byte; a quarantined Parquet row's
        // record carries the row's own fields.
        Dataset<Row> q = spark.read().format("jdbc").option("url", TestWarehouse.jdbcUrl())
                .option("dbtable", d.t("quarantined_events")).load();
        Dataset<Row> fromJson = q.filter(col("source_file").contains(".jsonl"));
        long jsonNotVerbatim = fromJson.join(lines, fromJson.col("raw_record").equalTo(lines.col("value")), "left_anti").count();
        assertEquals(0, jsonNotVerbatim, "every quarantined JSON row is its line as it arrived");
        Dataset<Row> fromParquet = q.filter(col("source_file").endsWith(".parquet"));
        Dataset<Row> parsed = fromParquet.select(get_json_object(col("raw_record"), "$.event_id").as("q_id"),
                get_json_object(col("raw_record"), "$.shipment_id").as("q_ship"), get_json_object(col("raw_record"), "$.status").as("q_status"));
        long parquetNotFound = parsed.join(parquet, parsed.col("q_id").eqNullSafe(parquet.col("event_id"))
                .and(parsed.col("q_ship").eqNullSafe(parquet.col("shipment_id"))).and(parsed.col("q_status").eqNullSafe(parquet.col("status"))),
                "left_anti").count();
        assertEquals(0, parquetNotFound, "every quarantined Parquet row's record matches an input row");
        assertTrue(fromJson.count() > 0 && fromParquet.count() > 0);
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + d.t("quarantined_events") + " WHERE raw_record IS NULL"));

        Reliability.record("bad input", String.format("%,d rows, 5%% carrying every defect of section 2 (base run, then incremental)",
                inputRows), String.format("read %,d = timeline %,d + quarantined %,d + duplicates %,d + already processed %,d + late %,d;"
                + " quarantine by reason %s; %,d JSON and %,d Parquet quarantine rows all match their input verbatim / field by field",
                totals.get("rows_read"), timeline, quarantined, totals.get("duplicates"), totals.get("already_processed"), late, byReason,
                fromJson.count(), fromParquet.count()));
    }
}
