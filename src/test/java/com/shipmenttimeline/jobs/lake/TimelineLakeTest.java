package com.shipmenttimeline.jobs.lake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.shipmenttimeline.jobs.config.SparkSessions;
import com.shipmenttimeline.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimelineLakeTest {
    private static final String DEFAULT = "spark.databricks.delta.properties.defaults." + SparkSessions.STATS_COLUMNS_PROPERTY;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final StructType ROWS = new StructType()
            .add("shipment_id", DataTypes.StringType)
            .add("event_id", DataTypes.StringType)
            .add("event_timestamp", DataTypes.TimestampType)
            .add("status", DataTypes.StringType)
            .add("event_sequence", DataTypes.LongType);

    @TempDir
    Path dir;

    private static Dataset<Row> rows(String prefix) {
        return SharedSpark.rows(ROWS,
                new Object[] {"S1", prefix + "1", Timestamp.valueOf("2025-07-10 10:00:00"), "PICKED_UP", 1L},
                new Object[] {"S2", prefix + "2", Timestamp.valueOf("2025-07-11 11:00:00"), "IN_TRANSIT", 1L});
    }

    /** The columns with min/max statistics in the files added by the table's latest commit. */
    private Set<String> statisticsColumnsOfLatestCommit(String table) throws IOException {
        Path log = dir.resolve(table).resolve("_delta_log");
        Path latest;
        try (Stream<Path> files = Files.list(log)) {
            latest = files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().reduce((a, b) -> b).orElseThrow();
        }
        Set<String> columns = new TreeSet<>();
        List<String> added = new ArrayList<>();
        for (String line : Files.readAllLines(latest)) {
            JsonNode add = JSON.readTree(line).get("add");
            if (add != null) {
                added.add(add.get("path").asText());
                Iterator<String> names = JSON.readTree(add.get("stats").asText()).get("minValues").fieldNames();
                names.forEachRemaining(columns::add);
            }
        }
        assertFalse(added.isEmpty(), "the latest commit of " + table + " added files");
        return columns;
    }

    @Test
    void theLakeKeepsStatisticsOnlyForTheColumnsItsReadersSkipBy() throws IOException {
        SparkSession spark = SharedSpark.get();
        TimelineLake lake = new TimelineLake(spark, dir.toString());
        assertEquals(SparkSessions.STATS_COLUMNS, spark.conf().get(DEFAULT));

        // a table made before the setting: Delta keeps statistics for every column
        spark.conf().unset(DEFAULT);
        try {
            lake.replaceBaseFrom(rows("old-"), LocalDate.parse("2025-07-01"));
        } finally {
            spark.conf().set(DEFAULT, SparkSessions.STATS_COLUMNS);
        }
        assertEquals(Set.of("event_id", "event_sequence", "event_timestamp", "shipment_id", "status"),
                statisticsColumnsOfLatestCommit(TimelineLake.BASE_TABLE));

        // a base run sets the property on it; its files from then on carry the two columns only
        lake.keepStatisticsOf(TimelineLake.BASE_TABLE);
        long altered = lake.version(TimelineLake.BASE_TABLE);
        lake.keepStatisticsOf(TimelineLake.BASE_TABLE);
        assertEquals(altered, lake.version(TimelineLake.BASE_TABLE), "a table that has the property is left alone");
        lake.replaceBaseFrom(rows("new-"), LocalDate.parse("2025-07-01"));
        assertEquals(Set.of("event_timestamp", "shipment_id"), statisticsColumnsOfLatestCommit(TimelineLake.BASE_TABLE));

        // a new table gets the property from the session
        lake.appendIncremental(rows("inc-"), 2, "test-app", 1);
        assertEquals(Set.of("event_timestamp", "shipment_id"), statisticsColumnsOfLatestCommit(TimelineLake.INCREMENTAL_TABLE));
        assertEquals(2, spark.read().format("delta").load(lake.path(TimelineLake.INCREMENTAL_TABLE)).count());
    }

    /**
     * The commit log read without Spark agrees with Delta's own history, version by version, across
     * checkpoints (every 3 commits here) and untagged commits; a missing table has none.
     */
    @Test
    void theCommitLogReadWithoutSparkAgreesWithDeltasHistory() {
        SparkSession spark = SharedSpark.get();
        String table = dir.resolve("commits").toString();
        DeltaCommits commits = new DeltaCommits(table, spark.sparkContext().hadoopConfiguration());
        assertFalse(commits.exists());
        assertEquals(java.util.OptionalLong.empty(), commits.latestVersion());
        String interval = "spark.databricks.delta.properties.defaults.checkpointInterval";
        spark.conf().set(interval, "3");
        try {
            for (int i = 0; i < 8; i++) {
                org.apache.spark.sql.DataFrameWriter<Row> w = rows("v" + i + "-").write().format("delta").mode(i == 0 ? "overwrite" : "append");
                if (i % 3 != 1) {
                    w = w.option("userMetadata", "run-" + i);
                }
                w.save(table);
            }
        } finally {
            spark.conf().unset(interval);
        }
        assertEquals(true, commits.exists());
        assertEquals(true, Files.exists(dir.resolve("commits/_delta_log/_last_checkpoint")), "the log has a checkpoint to start from");
        List<Row> history = io.delta.tables.DeltaTable.forPath(spark, table).history().select("version", "userMetadata").collectAsList();
        long latest = history.stream().mapToLong(h -> h.getLong(0)).max().orElseThrow();
        assertEquals(latest, commits.latestVersion().getAsLong());
        assertEquals(7, latest);
        for (Row h : history) {
            assertEquals(java.util.Optional.ofNullable(h.isNullAt(1) ? null : h.getString(1)), commits.userMetadata(h.getLong(0)).orElseThrow(),
                    "version " + h.getLong(0));
        }
        assertEquals(java.util.Optional.empty(), commits.userMetadata(latest + 1), "a commit that is not there");
    }
}
