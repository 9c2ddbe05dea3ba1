package com.shipmenttimeline.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;

/**
 * One real S3-compatible server for the test JVM: Adobe S3Mock's executable jar (copied to
 * target/s3mock by the build), started as its own process on a free port and reached only at
 * 127.0.0.1. Jobs reach it through Hadoop's s3a client, exactly as they reach S3.
 */
public final class S3Server {
    /** The bucket every s3a test writes under, each test in a folder of its own. */
    public static final String BUCKET = "timeline";
    /** A second bucket, for tests that cut one bucket's endpoint off while the other stays up. */
    public static final String OUTAGE_BUCKET = "timeline-outage";
    /** Dummy credentials: S3Mock accepts any. */
    public static final String ACCESS_KEY = "test-access-key";
    public static final String SECRET_KEY = "test-secret-key";

    private static S3Server instance;

    private final int port;

    private S3Server(int port) {
        this.port = port;
    }

    public static synchronized S3Server get() {
        if (instance == null) {
            instance = start();
        }
        return instance;
    }

    private static S3Server start() {
        Path jar = Path.of(System.getProperty("timeline.test.s3mock-jar", "target/s3mock/s3mock-exec.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: the build copies it (mvn process-test-resources)");
        }
        try {
            int port = freePort();
            int httpsPort = freePort(); // S3Mock also serves HTTPS (default 9191); nothing here uses it

            Path dir = Files.createDirectories(Path.of("target", "s3mock", "run-" + port)).toAbsolutePath();
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                    "-Djava.io.tmpdir=" + dir, "-jar", jar.toAbsolutePath().toString(), "--http.port=" + port, "--server.port=" + httpsPort,
                    "--com.adobe.testing.s3mock.store.initial-buckets=" + BUCKET + "," + OUTAGE_BUCKET,
                    "--com.adobe.testing.s3mock.store.root=" + dir.resolve("store"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("s3mock.log").toFile()).start();
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
            S3Server server = new S3Server(port);
            long deadline = System.nanoTime() + 90_000_000_000L;
            while (!server.answers()) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IllegalStateException("S3Mock did not start; see " + dir.resolve("s3mock.log"));
                }
                Thread.sleep(250);
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private boolean answers() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            try {
                return c.getResponseCode() == 200;
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** An s3a:// URI in the test bucket. */
    public static String uri(String key) {
        return "s3a://" + BUCKET + "/" + key;
    }

    /** The s3a settings that point Hadoop at this server, as a user would give them (spark.hadoop.* without the prefix). */
    public java.util.Map<String, String> hadoopSettings() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("fs.s3a.endpoint", endpoint());
        m.put("fs.s3a.endpoint.region", "us-east-1");
        m.put("fs.s3a.path.style.access", "true");
        m.put("fs.s3a.connection.ssl.enabled", "false");
        m.put("fs.s3a.access.key", ACCESS_KEY);
        m.put("fs.s3a.secret.key", SECRET_KEY);
        m.put("hadoop.tmp.dir", Path.of("target", "hadoop-tmp").toAbsolutePath().toString());
        return m;
    }

    /** Points the session's Hadoop configuration (shared by Spark, Delta and the jobs' file listing) at this server. */
    public S3Server configure(SparkSession spark) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        hadoopSettings().forEach(conf::set);
        return this;
    }

    /**
     * Cuts the outage bucket off: its endpoint becomes a closed port, tried once with short timeouts,
     * as when the network to the lake is down. {@link #restore} undoes it.
     */
    public void cutOff(SparkSession spark) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        int closed = freePort();
        String b = "fs.s3a.bucket." + OUTAGE_BUCKET + ".";
        conf.set(b + "endpoint", "http://127.0.0.1:" + closed);
        conf.set(b + "attempts.maximum", "1");
        conf.set(b + "retry.limit", "1");
        conf.set(b + "retry.interval", "10ms");
        conf.set(b + "connection.establish.timeout", "1000");
        conf.set(b + "connection.timeout", "2000");
        forget(conf);
    }

    public void restore(SparkSession spark) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        for (String k : List.of("endpoint", "attempts.maximum", "retry.limit", "retry.interval", "connection.establish.timeout",
                "connection.timeout")) {
            conf.unset("fs.s3a.bucket." + OUTAGE_BUCKET + "." + k);
        }
        forget(conf);
    }

    /** Drops the cached client of the outage bucket, so the next use reads the configuration again. */
    private static void forget(Configuration conf) throws IOException {
        FileSystem.get(URI.create("s3a://" + OUTAGE_BUCKET + "/"), conf).close();
    }
}
