package com.shipmenttimeline.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.RawFolder;
import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.TestWarehouse;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployable jar on a real YARN, as EMR runs it: a {@link MiniYARNCluster} (a ResourceManager and a
 * NodeManager) in this JVM, and {@code spark-submit --master yarn} of the shaded jar, with EMR 7.12's
 * Spark and Hadoop (the {@code emr-7.12} profile; spark-yarn is not published at the default build's
 * Spark). The driver runs in YARN's ApplicationMaster (cluster mode, as the steps run) or in
 * spark-submit (client mode, as a notebook or the primary node's shell does); the executors are
 * separate JVMs either way, so whatever the tasks use must serialize and be found on their classpath.
 */
class YarnClusterIT {
    /** Our own dependencies: in the shaded jar, never on the cluster's classpath. */
    private static final Pattern OURS = Pattern.compile("/io/delta/|/com/typesafe/config/|/org/postgresql/|/io/zonky/|/commons-compress/|/org/tukaani/");
    static final long HOUR = 3_600_000_000L;

    static MiniYARNCluster yarn;
    static YarnClient client;
    static Path hadoopConf;

    @TempDir
    Path dir;

    @BeforeAll
    static void startYarn() throws Exception {
        YarnConfiguration conf = new YarnConfiguration();
        // As Spark's own YARN suites do: a full disk must not mark the only node unhealthy.
        conf.set("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100.0");
        // JVMs reserve far more virtual memory than they use; YARN's check would kill them on a small node.
        conf.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
        // The capacity scheduler's one queue (its XML file is not on this classpath), which may give
        // ApplicationMasters all of it: a cluster-mode driver is one.
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
        conf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
        conf.setFloat("yarn.scheduler.capacity.root.default.user-limit-factor", 1);
        conf.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
        conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
        conf.set("yarn.scheduler.capacity.root.default.acl_administer_queue", "*");
        conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1.0f);
        conf.setInt("yarn.scheduler.capacity.node-locality-delay", -1);
        conf.setInt("yarn.nodemanager.resource.memory-mb", 6144);
        conf.setInt("yarn.scheduler.minimum-allocation-mb", 256);
        yarn = new MiniYARNCluster("timeline-yarn", 1, 1, 1);
        yarn.init(conf);
        yarn.start();
        // start() can return before the ResourceManager has its real port in the configuration.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (yarn.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        hadoopConf = Files.createDirectories(Path.of("target", "yarn-it-conf").toAbsolutePath());
        try (OutputStream out = Files.newOutputStream(hadoopConf.resolve("yarn-site.xml"))) {
            yarn.getConfig().writeXml(out);
        }
        client = YarnClient.createYarnClient();
        client.init(yarn.getConfig());
        client.start();
    }

    @AfterAll
    static void stopYarn() {
        if (client != null) {
            client.stop();
        }
        if (yarn != null) {
            yarn.stop();
        }
    }

    /** One spark-submit: its exit code and output, and YARN's report of the application it made. */
    record Submitted(int exit, String output, ApplicationReport app, int attempts) {
        String describe() {
            return "exit " + exit + ", " + (app == null ? "no application" : app.getFinalApplicationStatus() + " after " + attempts
                    + " attempt(s): " + app.getDiagnostics()) + "\n" + output;
        }
    }

    Submitted submit(String deployMode, String name, List<String> sparkConf, List<String> appArgs) throws Exception {
        List<String> sparkOnly = Arrays.stream(Files.readString(Path.of(System.getProperty("timeline.test.launcher-classpath"))).trim()
                .split(File.pathSeparator)).filter(p -> !OURS.matcher(p).find()).toList();
        String jvm = "-Duser.timezone=UTC";
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.addAll(List.of(System.getProperty("timeline.test.jvm-flags").trim().split("\\s+")));
        // spark-submit's script puts HADOOP_CONF_DIR on the classpath: the client finds YARN there.
        String classpath = hadoopConf + File.pathSeparator + String.join(File.pathSeparator, sparkOnly);
        cmd.addAll(List.of("-cp", classpath, "org.apache.spark.deploy.SparkSubmit",
                "--master", "yarn", "--deploy-mode", deployMode, "--name", name, "--class", Launcher.class.getName()));
        List<String> conf = new ArrayList<>(List.of(
                // The cluster's Spark is on every node (EMR's /usr/lib/spark/jars); here, on this one.
                "spark.yarn.jars=" + sparkOnly.stream().filter(p -> p.endsWith(".jar")).map(p -> "local:" + p).collect(Collectors.joining(",")),
                "spark.yarn.stagingDir=" + dir.resolve("staging").toUri(),
                "spark.yarn.maxAppAttempts=1",
                "spark.yarn.appMasterEnv.JAVA_HOME=" + System.getProperty("java.home"),
                "spark.executorEnv.JAVA_HOME=" + System.getProperty("java.home"),
                "spark.driver.extraJavaOptions=" + jvm, "spark.executor.extraJavaOptions=" + jvm,
                "spark.driver.memory=1g", "spark.yarn.am.memory=512m", "spark.executor.memory=1g",
                "spark.executor.instances=1", "spark.executor.cores=2"));
        conf.addAll(sparkConf);
        for (String c : conf) {
            cmd.addAll(List.of("--conf", c));
        }
        cmd.add(System.getProperty("timeline.test.emr-jar"));
        cmd.addAll(appArgs);
        Path log = dir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("HADOOP_CONF_DIR", hadoopConf.toString());
        pb.environment().put("YARN_CONF_DIR", hadoopConf.toString());
        long started = System.nanoTime();
        Process p = pb.start();
        assertTrue(p.waitFor(8, TimeUnit.MINUTES), "spark-submit finished: " + Files.readString(log));
        ApplicationReport app = client.getApplications().stream().filter(a -> a.getName().equals(name)).findFirst().orElse(null);
        int attempts = app == null ? 0 : client.getApplicationAttempts(app.getApplicationId()).size();
        Submitted s = new Submitted(p.exitValue(), Files.readString(log), app, attempts);
        System.out.printf("yarn-it: %s (%s mode): exit %d, %s, %d attempt(s), %.1f s%n", name, deployMode, s.exit(),
                app == null ? "no application" : app.getFinalApplicationStatus(), attempts, (System.nanoTime() - started) / 1e9);
        return s;
    }

    /** The driver's stderr when YARN ran it (cluster mode): the ApplicationMaster's container log. */
    String driverLog(ApplicationReport app) throws Exception {
        Path logs = Path.of(yarn.getNodeManager(0).getConfig().get(YarnConfiguration.NM_LOG_DIRS).split(",")[0]);
        try (Stream<Path> files = Files.walk(logs.resolve(app.getApplicationId().toString()))) {
            Path am = files.filter(f -> f.getFileName().toString().equals("stderr") && f.getParent().getFileName().toString().endsWith("_000001"))
                    .findFirst().orElseThrow();
            return Files.readString(am);
        }
    }

    void assertSucceededOnce(Submitted s) {
        assertEquals(0, s.exit(), s.describe());
        assertEquals(FinalApplicationStatus.SUCCEEDED, s.app().getFinalApplicationStatus(), s.describe());
        assertEquals(1, s.attempts(), s.describe());
    }

    /** What every run of one deployment gets: its folders and warehouse schema, the reference configuration otherwise. */
    static List<String> where(IncrementalJobTest.Deployment d, String... more) {
        List<String> args = new ArrayList<>(List.of("paths.raw=" + d.rawUri, "paths.lake=" + d.lakeUri, "paths.streaming-checkpoint=" + d.streamUri,
                "spark.shuffle-partitions=2"));
        args.addAll(TestWarehouse.overrides(d.schema).stream().map(o -> o.replace("\"", "")).toList());
        args.addAll(List.of(more));
        return args;
    }

    static List<String> args(IncrementalJobTest.Deployment d, String... modeAndFlags) {
        List<String> a = new ArrayList<>(List.of(modeAndFlags));
        a.addAll(where(d));
        return a;
    }

    /** The same raw events in each deployment: history for the base run, then a file that arrives out of order. */
    static void history(IncrementalJobTest.Deployment d) {
        d.raw.reference(8, Instant.parse("2025-07-04T00:00:00Z"));
        d.raw.jsonLines(LocalDate.parse("2025-07-02"), events(new Random(7), 0, 120, IncrementalJobTest.D0 + IncrementalJobTest.DAY));
    }

    static void arrivals(IncrementalJobTest.Deployment d) {
        List<String> lines = new ArrayList<>(events(new Random(11), 120, 60, IncrementalJobTest.D0 + IncrementalJobTest.DAY + 2 * HOUR));
        lines.add("{\"event_id\":\"bad\",\"shipment_id\":12}");
        d.raw.jsonLines(LocalDate.parse("2025-07-03"), lines);
    }

    static List<String> events(Random r, int first, int n, long from) {
        List<String> lines = new ArrayList<>();
        for (int i = first; i < first + n; i++) {
            String[] statuses = IncrementalJobTest.STATUSES;
            long ts = from + (long) r.nextInt(20 * 60) * 60_000_000L;
            lines.add(RawFolder.json(new Event("S" + r.nextInt(8), "e" + i, ts, statuses[r.nextInt(statuses.length)], "L" + (1 + r.nextInt(3)), null)));
        }
        return lines;
    }

    @Test
    void baseAndIncrementalRunsOnYarnInClusterAndClientModeHoldWhatLocalModeHolds() throws Exception {
        IncrementalJobTest.Deployment local = new IncrementalJobTest.Deployment(dir.resolve("local"));
        history(local);
        local.base("--mode", "daily_base", "--as-of", "2025-07-03T00:00:00Z");
        arrivals(local);
        local.incremental("--as-of", "2025-07-03T12:00:00Z");
        List<Map<String, Object>> expected = local.timeline();
        assertEquals(180, expected.size(), "the local runs took in every good event");

        for (String mode : List.of("cluster", "client")) {
            IncrementalJobTest.Deployment d = new IncrementalJobTest.Deployment(dir.resolve(mode));
            history(d);
            // The user's --conf beats the job's default (timeline.spark.shuffle-partitions=2 in where()).
            Submitted base = submit(mode, "timeline-" + mode + "-base", List.of("spark.sql.shuffle.partitions=3"),
                    args(d, "daily_base", "--as-of", "2025-07-03T00:00:00Z"));
            assertSucceededOnce(base);
            String driver = mode.equals("cluster") ? driverLog(base.app()) : base.output();
            assertTrue(driver.contains("spark: master yarn, shuffle partitions 3, UI true; the user's settings kept over the job's defaults:"
                    + " spark.sql.shuffle.partitions=3"), driver);
            arrivals(d);
            Submitted incremental = submit(mode, "timeline-" + mode + "-incremental", List.of(),
                    args(d, "incremental", "--as-of", "2025-07-03T12:00:00Z"));
            assertSucceededOnce(incremental);
            assertEquals(expected, d.timeline(), mode + " mode: the warehouse holds what the local runs hold");
            d.assertExactlyOnce(180);
        }
    }

    @Test
    void aRunThatMustFailIsFailedOnceNamingTheFileAndCommitsNothing() throws Exception {
        IncrementalJobTest.Deployment d = new IncrementalJobTest.Deployment(dir.resolve("failing"));
        history(d);
        Path corrupt = d.raw.folder(LocalDate.parse("2025-07-02")).resolve("corrupt.parquet");
        Files.write(corrupt, "PAR1 this is not a parquet file PAR1".getBytes(StandardCharsets.US_ASCII));
        Submitted s = submit("cluster", "timeline-cluster-corrupt", List.of(), args(d, "daily_base", "--as-of", "2025-07-03T00:00:00Z"));
        assertTrue(s.exit() != 0, s.describe());
        assertEquals(FinalApplicationStatus.FAILED, s.app().getFinalApplicationStatus(), s.describe());
        assertEquals(1, s.attempts(), "one attempt: " + s.describe());
        assertTrue(s.app().getDiagnostics().contains("corrupt.parquet"), "YARN's diagnostics name the file: " + s.app().getDiagnostics());
        assertTrue(s.app().getDiagnostics().contains("(exit code 3)"), s.app().getDiagnostics());
        for (String table : List.of("shipment_timeline_base", "shipment_timeline_incremental", "quarantined_events", "processing_checkpoints")) {
            assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + d.t(table)), table + ": nothing committed");
        }
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + d.t("processing_runs") + " WHERE status = 'succeeded'"));
    }
}
