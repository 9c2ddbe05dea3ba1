package com.shipmenttimeline.jobs.metrics;

import com.shipmenttimeline.jobs.Launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.TestWarehouse;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code --mode monitor} against a real PostgreSQL warehouse whose checkpoint and run history the test writes. */
class MonitorTest {
    String schema;

    @BeforeEach
    void warehouse() {
        schema = TestWarehouse.freshSchemaWithObjects();
    }

    private void run(String id, String finishedAt, long read, long quarantined, double cost) {
        TestWarehouse.execute("INSERT INTO " + schema + ".processing_runs (run_id, process_type, status, finished_at, rows_read, quarantined,"
                + " estimated_cost_usd) VALUES ('" + id + "', 'incremental', 'succeeded', TIMESTAMP '" + finishedAt + "', " + read + ", "
                + quarantined + ", " + cost + ")");
    }

    private void checkpoint(String at) {
        TestWarehouse.execute("INSERT INTO " + schema + ".processing_checkpoints (checkpoint_id, last_processed_timestamp, status)"
                + " VALUES ('shipment_timeline', TIMESTAMP '" + at + "', 'refreshed')");
    }

    /** Runs the launcher; returns the exit code and what it printed. */
    private Object[] monitor(String asOf, String... more) {
        List<String> args = new ArrayList<>(List.of("--mode", "monitor", "--as-of", asOf));
        args.addAll(TestWarehouse.overrides(schema));
        args.addAll(List.of(more));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Launcher.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Object[] {code, out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void aHealthyPipelinePrintsSevenOkLinesAndExitsZero() {
        checkpoint("2025-07-12 09:50:00");
        run("r1", "2025-07-12 09:55:00", 10_000, 100, 1.25);
        Object[] r = monitor("2025-07-12T10:00:00Z");
        String text = (String) r[1];
        assertEquals(0, r[0], text);
        assertEquals(7, text.lines().filter(l -> l.startsWith("OK")).count(), text);
        assertTrue(text.contains("OK       retention       no timeline row stored yet"), text);
        assertTrue(text.contains("OK       data_freshness  the view shows no event yet"), text);
        assertTrue(text.contains("OK       view_query      no shipment stored yet"), text);
        assertTrue(text.contains("processing_lag  10.0 min behind"), text);
        assertTrue(text.contains("1.00% (100 quarantined of 10000 read in 24 h)"), text);
        assertTrue(text.contains("$1.25 estimated in 24 h"), text);
    }

    @Test
    void eachConditionFiresAtItsThresholdAndOnlyTheErrorRateIsCritical() {
        checkpoint("2025-07-12 09:00:00");
        run("old", "2025-07-10 09:00:00", 100, 90, 500); // older than 24 h: not counted
        run("r1", "2025-07-12 01:00:00", 1_000, 30, 100);
        run("r2", "2025-07-12 08:00:00", 1_000, 80, 60);
        // Events that can never enter the timeline: TOO_LATE quarantines of incremental runs in the last 24 hours.
        TestWarehouse.execute("UPDATE " + schema + ".processing_runs SET quarantined_too_late = 600 WHERE run_id IN ('r1', 'r2')");
        TestWarehouse.execute("UPDATE " + schema + ".processing_runs SET quarantined_too_late = 900 WHERE run_id = 'old'");
        TestWarehouse.execute("INSERT INTO " + schema + ".processing_runs (run_id, process_type, status, finished_at, quarantined_too_late)"
                + " VALUES ('b1', 'daily_base', 'succeeded', TIMESTAMP '2025-07-12 00:10:00', 700)");
        Object[] r = monitor("2025-07-12T10:00:00Z");
        String text = (String) r[1];
        assertEquals(Launcher.CRITICAL, r[0], text);
        assertTrue(text.contains("WARNING  processing_lag  60.0 min behind"), text);
        assertTrue(text.contains("CRITICAL error_rate      5.50% (110 quarantined of 2000 read in 24 h)"), text);
        assertTrue(text.contains("WARNING  missing_events  1200 events too late for the timeline"), text);
        assertTrue(text.contains("INFO     daily_cost      $160.00"), text);

        // Thresholds are configuration; a base run's TOO_LATE rows (history before its window) and older runs' do not count.
        Object[] relaxed = monitor("2025-07-12T10:00:00Z", "monitor.max-error-rate=0.06", "monitor.max-lag=2h", "monitor.max-daily-cost=200",
                "monitor.max-missing-events=1200");
        assertEquals(0, relaxed[0], (String) relaxed[1]);
        assertTrue(((String) relaxed[1]).contains("OK       missing_events  1200 events too late for the timeline"), (String) relaxed[1]);
    }

    @Test
    void dataFreshnessIsTheNewestEventInTheViewAndTheProbeReadsOneShipmentFromIt() {
        checkpoint("2025-07-12 09:50:00");
        TestWarehouse.execute("INSERT INTO " + schema + ".shipment_timeline_incremental (shipment_id, event_id, event_timestamp, event_sequence,"
                + " status, cumulative_transit_hours, is_location_change, status_start_timestamp, time_in_status_seconds, is_past_promise,"
                + " processed_timestamp, process_type, incremental_batch_id, incremental_processed_at) VALUES ('S1', 'e1', TIMESTAMP"
                + " '2025-07-12 09:30:00', 1, 'PICKED_UP', 0, false, TIMESTAMP '2025-07-12 09:30:00', 0, false, now(), 'incremental', 'b', now())");
        TestWarehouse.execute("INSERT INTO " + schema + ".shipment_timeline_state VALUES ('S1', 1, TIMESTAMP '2025-07-12 09:30:00', 'e1',"
                + " 'PICKED_UP', NULL, TIMESTAMP '2025-07-12 09:30:00', TIMESTAMP '2025-07-12 09:30:00')");
        Object[] r = monitor("2025-07-12T10:00:00Z");
        String text = (String) r[1];
        assertEquals(0, r[0], text);
        assertTrue(text.contains("OK       data_freshness  30.0 min (newest event in the view 2025-07-12T09:30:00Z)"), text);
        assertTrue(text.matches("(?s).*OK       view_query      [0-9.]+ ms to read one shipment's timeline.*"), text);
        assertTrue(text.contains("processing_lag  10.0 min behind"), "the checkpoint and the view are different clocks: " + text);
    }

    @Test
    void retentionWarnsWhenTheTimelineHoldsAnEventANightOlderThanTheCutoff() {
        checkpoint("2025-07-12 09:50:00");
        TestWarehouse.execute("INSERT INTO " + schema + ".shipment_timeline_base_history (shipment_id, event_id, event_timestamp, event_sequence,"
                + " status, cumulative_transit_hours, is_location_change, status_start_timestamp, time_in_status_seconds, is_past_promise,"
                + " processed_timestamp, process_type) VALUES ('S1', 'e1', TIMESTAMP '2025-06-30 23:00:00', 1, 'PICKED_UP', 0, false,"
                + " TIMESTAMP '2025-06-30 23:00:00', 0, false, now(), 'daily_base')");
        // retention.days = 11 on 2025-07-12: the cutoff is 2025-07-01; a night late, the oldest event may be from 2025-06-30
        String onTime = (String) monitor("2025-07-12T10:00:00Z", "retention.days=11")[1];
        assertTrue(onTime.contains("OK       retention       oldest event 2025-06-30T23:00:00Z, cutoff 2025-07-01T00:00:00Z (11 days)"), onTime);
        Object[] late = monitor("2025-07-13T10:00:00Z", "retention.days=11", "monitor.max-lag=1000h");
        String text = (String) late[1];
        assertEquals(0, late[0], "a warning, not critical: " + text);
        assertTrue(text.contains("WARNING  retention       oldest event 2025-06-30T23:00:00Z is 1.0 days before the cutoff 2025-07-02T00:00:00Z:"
                + " the nightly purge has not run or failed"), text);
        assertTrue(((String) monitor("2025-07-13T10:00:00Z", "retention.days=0")[1]).contains("OK       retention       off (retention.days = 0)"));
    }

    @Test
    void anEmptyWarehouseWarnsThatNoRunHasCommitted() {
        Object[] r = monitor("2025-07-12T10:00:00Z");
        assertEquals(0, r[0]);
        assertTrue(((String) r[1]).contains("WARNING  processing_lag  no checkpoint yet"), (String) r[1]);
    }
}
