package com.shipmenttimeline.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationStart;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.streaming.StreamingQueryListener;

/**
 * A step as EMR runs it: the launcher ({@code com.shipmenttimeline.jobs.Launcher}, what
 * spark-submit calls) in a JVM of its own, with the bench's settings as key=value overrides. Two
 * listeners ride along through Spark's own settings (a SparkListener for the context's start and
 * the jobs, a StreamingQueryListener for the stream) and print one line when the run ends, from
 * which the step's wall time is split into: the JVM and Spark starting, the run up to its stream
 * started (warehouse, lease, lake check, the stream's plan), the stream's triggers (of which the
 * listing of new files), and what follows (view, lease release, stopping Spark, the JVM's exit).
 */
final class ColdStep {
    private static final String LINE = "COLD-STEP ";

    /** The split of one cold step, in seconds; {@code sparkJobs} counted in the child. */
    record Timings(double wall, double jvmAndSpark, double streamStart, double triggers, double listing, double after, long sparkJobs,
            long batches, int exitCode) {
        String note() {
            return String.format(Locale.ROOT, "fresh JVM: JVM+Spark start %.2f s, run to stream start %.2f s, triggers %.2f s (%d, listing %.2f s),"
                    + " after %.2f s", jvmAndSpark, streamStart, triggers, batches, listing, after);
        }
    }

    private ColdStep() {}

    /**
     * Runs the launcher with these arguments in a new JVM (this JVM's class path and module flags, the
     * launcher's heap), its output to {@code log}; returns its timings. A run that fails throws.
     */
    static Timings run(List<String> args, Path log, PrintStream progress) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx6g"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Duser.timezone") || a.startsWith("-Djava.io.tmpdir")
                    || a.startsWith("-Dlog4j2.configurationFile")) {
                cmd.add(a);
            }
        }
        String childOpts = System.getProperty("bench.child-opts", "").trim(); // a profiler's flags, say
        if (!childOpts.isEmpty()) {
            cmd.addAll(List.of(childOpts.split("\\s+")));
        }
        cmd.add("-Dspark.extraListeners=" + ContextProbe.class.getName());
        cmd.add("-Dspark.sql.streaming.streamingQueryListeners=" + StreamProbe.class.getName());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "com.shipmenttimeline.jobs.Launcher"));
        cmd.addAll(args);
        long t0 = System.currentTimeMillis();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String found = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                PrintStream out = new PrintStream(java.nio.file.Files.newOutputStream(log), true, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                out.println(line);
                if (line.startsWith(LINE)) {
                    found = line.substring(LINE.length());
                }
            }
        }
        int code = p.waitFor();
        long t1 = System.currentTimeMillis();
        if (code != 0) {
            throw new IllegalStateException("the cold step exited " + code + "; its output: " + log);
        }
        double wall = (t1 - t0) / 1e3;
        if (found == null) { // a run without a stream (a base run): the JVM and Spark start, the rest
            progress.printf("cold step: %.2f s (no stream)%n", wall);
            return new Timings(wall, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, -1, 0, code);
        }
        String[] f = found.split(" ");
        long appStart = Long.parseLong(f[0]);
        long queryStart = Long.parseLong(f[1]);
        long queryEnd = Long.parseLong(f[2]);
        double triggers = Long.parseLong(f[3]) / 1e3;
        double listing = Long.parseLong(f[4]) / 1e3;
        Timings t = new Timings(wall, (appStart - t0) / 1e3, (queryStart - appStart) / 1e3, triggers, listing,
                (t1 - queryEnd) / 1e3, Long.parseLong(f[5]), Long.parseLong(f[6]), code);
        progress.printf("cold step: %.2f s; %s%n", wall, t.note());
        return t;
    }

    private static final AtomicLong APP_START = new AtomicLong();
    private static final AtomicLong JOBS = new AtomicLong();

    /** In the child: the Spark context's start, and its jobs. */
    public static final class ContextProbe extends SparkListener {
        @Override
        public void onApplicationStart(SparkListenerApplicationStart e) {
            APP_START.set(System.currentTimeMillis());
        }

        @Override
        public void onJobStart(SparkListenerJobStart e) {
            JOBS.incrementAndGet();
        }
    }

    /** In the child: the stream's start, its triggers' time and listing time, and its end, printed as one line. */
    public static final class StreamProbe extends StreamingQueryListener {
        private long started;
        private long triggerMs;
        private long listingMs;
        private long batches;

        @Override
        public void onQueryStarted(QueryStartedEvent e) {
            started = System.currentTimeMillis();
        }

        @Override
        public void onQueryProgress(QueryProgressEvent e) {
            java.util.Map<String, Long> d = e.progress().durationMs();
            triggerMs += d.getOrDefault("triggerExecution", 0L);
            listingMs += d.getOrDefault("latestOffset", 0L) + d.getOrDefault("getBatch", 0L);
            batches++;
        }

        @Override
        public void onQueryIdle(QueryIdleEvent e) {}

        @Override
        public void onQueryTerminated(QueryTerminatedEvent e) {
            System.out.println(LINE + APP_START.get() + " " + started + " " + System.currentTimeMillis() + " " + triggerMs + " " + listingMs + " "
                    + JOBS.get() + " " + batches);
        }
    }
}
