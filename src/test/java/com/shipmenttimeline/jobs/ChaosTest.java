package com.shipmenttimeline.jobs;

import static com.shipmenttimeline.jobs.IncrementalJobTest.D0;
import static com.shipmenttimeline.jobs.IncrementalJobTest.DAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.jobs.IncrementalJobTest.Deployment;
import com.shipmenttimeline.jobs.IncrementalJobTest.Sent;
import com.shipmenttimeline.testing.RawFolder;
import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.Reliability;
import com.shipmenttimeline.testing.TestWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The test that finds what nobody thought of (the issue "Nothing is lost"): round after round, files
 * of events with known ids land (out of order, some sent again), and incremental runs in child JVMs
 * are killed with SIGKILL at random moments, two are sometimes started at once with a 3-second lease
 * TTL, and now and then a base run (killed too, sometimes). At the end one clean incremental run and
 * one base run. Then every event that landed is in the view exactly once, the view equals one base
 * run over every file (section 5's law), the state table equals the stored rows, every audit row's
 * counts add up, the checkpoint never moved backwards, and the lake holds the warehouse's rows, table
 * by table. CI runs {@code timeline.test.chaos-rounds} = 4 (6 until the YARN test needed the time); by hand, 60:
 * {@code mvn test -Dtest=ChaosTest -Dtimeline.test.chaos-rounds=60}.
 */
class ChaosTest {
    private static final String AS_OF = "2025-07-06T00:00:00Z";

    @Test
    void killedAndConcurrentRunsLoseNothingAndDoubleNothing() throws Exception {
        int rounds = Integer.getInteger("timeline.test.chaos-rounds", 4);
        long seed = Long.getLong("timeline.test.chaos-seed", 20_261_205L);
        Random r = new Random(seed);
        Deployment d = new Deployment(Files.createTempDirectory(Path.of("target"), "chaos"));
        d.raw.reference(12, Instant.parse("2025-07-06T00:00:00Z"));
        d.extra.add("warehouse.lease.ttl=30s"); // the in-process runs at the end: a killed child's lease lapses in 3 s
        d.extra.add("warehouse.lease.wait=60s");

        // Every send of every event, in the order the files land: an event reaches ingest minutes to a day and
        // more after it happened, so files land out of timestamp order; one in eight is sent again, later.
        List<Event> events = IncrementalJobTest.randomEvents(r, 12 + rounds, 4 * DAY);
        List<Sent> sends = new ArrayList<>();
        for (Event e : events) {
            long delay = r.nextInt(5) == 0 ? (long) (r.nextDouble() * 30 * 3_600_000_000L) : (long) (r.nextDouble() * 3_600_000_000L);
            sends.add(new Sent(e, e.ts() + delay, e.ts() + delay));
            if (r.nextInt(8) == 0) {
                long again = e.ts() + delay + (long) (r.nextDouble() * 12 * 3_600_000_000L);
                sends.add(new Sent(e, e.ts() + delay, again));
            }
        }
        sends.sort(Comparator.comparingLong(Sent::arrival));
        int perRound = Math.max(1, sends.size() / rounds);

        Map<String, Integer> outcomes = new LinkedHashMap<>();
        TreeSet<String> landed = new TreeSet<>();
        Timestamp checkpoint = null;
        int next = 0;
        for (int round = 0; round < rounds; round++) {
            List<Sent> file = sends.subList(next, round == rounds - 1 ? sends.size() : Math.min(sends.size(), next + perRound));
            next += file.size();
            if (!file.isEmpty()) {
                IncrementalJobTest.land(d, RawFolder.dateOf(file.get(0).arrival()), new ArrayList<>(file));
                file.forEach(s -> landed.add(s.event().eventId()));
            }
            int action = r.nextInt(20);
            if (round == 0 || action < 3) {
                outcomes.merge(child(d, r, "base", round, "--mode", "daily_base", "--as-of", AS_OF), 1, Integer::sum);
            } else if (action < 7) {
                Process a = CrashRecoveryTest.start(d, null, d.schema + "-r" + round + "a", "3s", "--mode", "incremental", "--as-of", AS_OF);
                Process b = CrashRecoveryTest.start(d, null, d.schema + "-r" + round + "b", "3s", "--mode", "incremental", "--as-of", AS_OF);
                for (Process p : List.of(a, b)) {
                    outcomes.merge("two at once: " + finish(p, r.nextInt(4) == 0 ? killAfter(r) : -1), 1, Integer::sum);
                }
            } else {
                outcomes.merge(child(d, r, "incremental", round, "--mode", "incremental", "--as-of", AS_OF), 1, Integer::sum);
            }
            Timestamp now = checkpointOf(d);
            assertTrue(checkpoint == null || (now != null && !now.before(checkpoint)), "round " + round + ": the checkpoint moved back from "
                    + checkpoint + " to " + now);
            checkpoint = now;
        }
        d.incremental("--as-of", AS_OF);
        d.base("--mode", "daily_base", "--as-of", AS_OF);

        // Every run that failed failed safely: it lost the lease, or waited for it too long.
        for (Map<String, Object> failed : TestWarehouse.query("SELECT run_id, error_message FROM " + d.t("processing_runs") + " WHERE status = 'failed'")) {
            String error = String.valueOf(failed.get("error_message"));
            assertTrue(error.contains("lost the timeline lease") || error.contains("the warehouse is busy"), "a failed run: " + failed);
        }
        String once = d.assertExactlyOnce(landed.size());
        Deployment clean = new Deployment(Files.createTempDirectory(Path.of("target"), "chaos-clean"));
        Files.createDirectories(clean.raw.root());
        clean.rawUri = d.rawUri;
        clean.base("--mode", "daily_base", "--as-of", AS_OF);
        IncrementalJobTest.assertSameRows(clean.timeline(), d.timeline(), "the view against one base run over every file");
        IncrementalJobTest.assertLakeHoldsTheWarehouseRows(d);
        Reliability.record("kill -9", rounds + " rounds of landing files, SIGKILL at random moments, two runs at once, base runs (seed " + seed + ")",
                "runs: " + outcomes + "; then " + once + "; the view equals one base run over every file; the lake holds each table's rows;"
                        + " the checkpoint never moved back");
    }

    /** One run in a child JVM, killed (SIGKILL) at a random moment one time in three; what came of it. */
    private static String child(Deployment d, Random r, String kind, int round, String... args) throws Exception {
        Process p = CrashRecoveryTest.start(d, null, d.schema + "-r" + round, "3s", args);
        return kind + ": " + finish(p, r.nextInt(3) == 0 ? killAfter(r) : -1);
    }

    /** A moment in a child run's life: its JVM and Spark start in about 8 s here, and a run ends within about 40 s. */
    private static int killAfter(Random r) {
        return 4 + r.nextInt(36);
    }

    /** Waits for a child, killing it with SIGKILL after {@code killAfterSeconds} (negative: never). */
    private static String finish(Process p, int killAfterSeconds) throws Exception {
        if (killAfterSeconds >= 0 && !p.waitFor(killAfterSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no clean-up
            assertTrue(p.waitFor(1, TimeUnit.MINUTES));
            return "killed";
        }
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the child run finished");
        int exit = p.exitValue();
        assertTrue(exit == 0 || exit == 1 || exit == 4, "exit " + exit);
        return exit == 0 ? "exit 0" : exit == 4 ? "exit 4 (busy)" : "exit 1";
    }

    /** The checkpoint, or null before any run made the warehouse's tables (a first run killed before it could). */
    private static Timestamp checkpointOf(Deployment d) {
        if (TestWarehouse.count("SELECT count(*) FROM information_schema.tables WHERE table_schema = '" + d.schema
                + "' AND table_name = 'processing_checkpoints'") == 0) {
            return null;
        }
        List<Map<String, Object>> rows = TestWarehouse.query("SELECT last_processed_timestamp FROM " + d.t("processing_checkpoints"));
        return rows.isEmpty() ? null : (Timestamp) rows.get(0).get("last_processed_timestamp");
    }
}
