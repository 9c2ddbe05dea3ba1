package com.shipmenttimeline.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.TestWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A password given by environment variable never shows in the output, the logs or an error message. */
class SecretsTest {
    static final String SECRET = "s3cr3t-Pa55word-4b9e";

    static String run(Path dir, String jdbcUrl, int expectedExit) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.addAll(List.of(System.getProperty("timeline.test.jvm-flags", "").trim().split("\\s+")));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Launcher.class.getName(),
                "--mode", "daily_base", "--date", "2025-07-12", "spark.master=local[2]", "spark.shuffle-partitions=2",
                "paths.raw=" + DailyBaseJobTest.SAMPLE.toAbsolutePath(), "paths.lake=" + dir.resolve("lake"),
                "warehouse.kind=postgres", "warehouse.jdbc-url=" + jdbcUrl, "warehouse.user=postgres",
                "warehouse.schema=" + TestWarehouse.freshSchema(), "warehouse.lease.wait=2s",
                // The Spark event log: what the Spark UI and the history server show (environment, jobs, SQL plans).
                "spark.extra={\"spark.eventLog.enabled\":\"true\",\"spark.eventLog.dir\":\"" + Files.createDirectories(dir.resolve("events")).toUri() + "\"}"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile());
        pb.environment().put("TIMELINE_DB_PASSWORD", SECRET);
        Process p = pb.start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        String out = Files.readString(dir.resolve("out.log"));
        assertEquals(expectedExit, p.exitValue(), out);
        return out;
    }

    @Test
    void aSuccessfulRunNeverPrintsThePassword(@TempDir Path dir) throws Exception {
        String out = run(dir, TestWarehouse.jdbcUrl().replace("?user=postgres", ""), 0);
        assertTrue(out.contains("succeeded"), out);
        assertTrue(out.contains("INFO"), "progress is logged at INFO");
        assertFalse(out.contains(SECRET), "the password leaked into the output");
        assertNoSecretInFiles(dir);
        String eventLog;
        try (Stream<Path> logs = Files.list(dir.resolve("events"))) {
            eventLog = Files.readString(logs.findFirst().orElseThrow(), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        assertTrue(eventLog.contains("SparkListenerEnvironmentUpdate") && eventLog.contains("SparkListenerSQLExecutionStart"),
                "the event log has the UI's environment and SQL plans");
        assertFalse(eventLog.contains(SECRET), "the password leaked into the Spark UI's event log");
        com.shipmenttimeline.testing.Reliability.record("security", "a warehouse password given by environment variable",
                "absent from the run's output and logs, the files it wrote, and the Spark event log (" + eventLog.lines().count()
                + " events: the UI's environment, job and SQL-plan pages); also absent from the error of a failed connection");
    }

    @Test
    void aFailedConnectionNeverPrintsThePassword(@TempDir Path dir) throws Exception {
        String out = run(dir, "jdbc:postgresql://127.0.0.1:1/postgres", 1);
        assertTrue(out.contains("timeline: "), out);
        assertFalse(out.contains(SECRET), "the password leaked into the error");
    }

    private static void assertNoSecretInFiles(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (f.toString().endsWith(".json") || f.toString().endsWith(".log") || f.toString().endsWith(".crc")) {
                    assertFalse(Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1).contains(SECRET), f.toString());
                }
            }
        }
    }
}
