package com.shipmenttimeline.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.TestWarehouse;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployable jar the way EMR launches it: {@code org.apache.spark.deploy.SparkSubmit} with
 * only Spark's own jars on the classpath (what the cluster provides) and our shaded jar as the
 * application. It generates data and runs a base job to completion against PostgreSQL, with the
 * bundled {@code emr-dev} configuration and its paths pointed at local folders. This proves the
 * shading (Delta's data source registration, reference.conf, the PostgreSQL driver) and the
 * {@code provided} scopes.
 */
class DeployableJarIT {
    /** Our own dependencies: in the shaded jar, never on the cluster's classpath. */
    private static final Pattern OURS = Pattern.compile("/io/delta/|/com/typesafe/config/|/org/postgresql/|/io/zonky/|/commons-compress/|/org/tukaani/");

    @TempDir
    Path dir;

    int submit(Path log, String... args) throws Exception {
        String sparkOnly = Arrays.stream(Files.readString(Path.of(System.getProperty("timeline.test.launcher-classpath"))).trim()
                .split(File.pathSeparator)).filter(p -> !OURS.matcher(p).find()).collect(Collectors.joining(File.pathSeparator));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx2g");
        cmd.addAll(List.of(System.getProperty("timeline.test.jvm-flags").trim().split("\\s+")));
        cmd.addAll(List.of("-cp", sparkOnly, "org.apache.spark.deploy.SparkSubmit", "--master", "local[2]",
                "--class", Launcher.class.getName(), System.getProperty("timeline.test.emr-jar")));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "spark-submit finished");
        return p.exitValue();
    }

    @Test
    void theShadedJarRunsABaseJobUnderSparkSubmit() throws Exception {
        String schema = TestWarehouse.freshSchema();
        List<String> common = new ArrayList<>(List.of("--conf", "emr-dev", "timeline.data-dir=" + dir,
                "timeline.paths.raw=" + dir.resolve("raw"), "timeline.paths.lake=" + dir.resolve("lake"),
                "timeline.paths.streaming-checkpoint=" + dir.resolve("stream"), "spark.shuffle-partitions=2",
                "warehouse.redshift.tempdir=s3://unused", "metrics.sink=log"));
        common.addAll(TestWarehouse.overrides(schema).stream().map(o -> o.replace("\"", "")).toList());

        List<String> generate = new ArrayList<>(List.of("--mode", "generate", "--events", "3000", "generator.hold-back=0s"));
        generate.addAll(common);
        Path genLog = dir.resolve("generate.log");
        assertEquals(0, submit(genLog, generate.toArray(String[]::new)), Files.readString(genLog));

        List<String> base = new ArrayList<>(List.of("--mode", "daily_base"));
        base.addAll(common);
        Path baseLog = dir.resolve("base.log");
        assertEquals(0, submit(baseLog, base.toArray(String[]::new)), Files.readString(baseLog));
        assertTrue(Files.readString(baseLog).contains("succeeded"));
        long rows = TestWarehouse.count("SELECT count(*) FROM " + schema + ".shipment_timeline_realtime");
        assertTrue(rows > 2000, "rows in the view: " + rows);
        assertEquals(rows, TestWarehouse.count("SELECT timeline_rows FROM " + schema + ".processing_runs"));
        assertTrue(Files.isDirectory(dir.resolve("lake/timeline_base/_delta_log")), "Delta wrote its log");
    }
}
