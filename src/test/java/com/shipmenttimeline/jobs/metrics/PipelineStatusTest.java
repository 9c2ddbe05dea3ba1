package com.shipmenttimeline.jobs.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.jobs.Launcher;
import com.shipmenttimeline.testing.TestWarehouse;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code --mode status} against a real PostgreSQL warehouse whose checkpoint, runs and lease the test writes. */
class PipelineStatusTest {
    String schema;

    @BeforeEach
    void warehouse() {
        schema = TestWarehouse.freshSchemaWithObjects();
    }

    private String status() {
        List<String> args = new ArrayList<>(List.of("--mode", "status"));
        args.addAll(TestWarehouse.overrides(schema));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Launcher.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        assertEquals(0, code, out.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aNewWarehouseHasNoCheckpointNoRunsAndAFreeLease() {
        String text = status();
        assertTrue(text.contains("checkpoint  none: no run has committed"), text);
        assertTrue(text.contains("latest runs, newest first:\n  none"), text);
        assertTrue(text.contains("lease       free"), text);
    }

    @Test
    void itShowsTheCheckpointTheLatestRunsNewestFirstAndTheLeaseHolder() {
        TestWarehouse.execute("INSERT INTO " + schema + ".processing_checkpoints (checkpoint_id, last_processed_timestamp, last_update_time,"
                + " process_type, status, last_run_id) VALUES ('shipment_timeline', TIMESTAMP '2025-07-12 09:50:00', TIMESTAMP '2025-07-12 09:55:00',"
                + " 'incremental', 'committed', 'inc-abc-3')");
        TestWarehouse.execute("INSERT INTO " + schema + ".processing_runs (run_id, process_type, status, started_at, duration_seconds, rows_read,"
                + " timeline_rows, quarantined) VALUES ('base-1', 'daily_base', 'succeeded', TIMESTAMP '2025-07-12 00:00:00', 61.5, 1000, 990, 10)");
        TestWarehouse.execute("INSERT INTO " + schema + ".processing_runs (run_id, process_type, status, started_at, duration_seconds, error_message)"
                + " VALUES ('inc-abc-3-failed-1', 'incremental', 'failed', TIMESTAMP '2025-07-12 09:54:00', 2.0, 'unreadable input file x: truncated')");
        TestWarehouse.execute("INSERT INTO " + schema + ".timeline_lease (lease_name, holder_run_id, holder_process_type, acquired_at, expires_at)"
                + " VALUES ('timeline', 'inc-abc-4', 'incremental', TIMESTAMP '2025-07-12 10:00:00', TIMESTAMP '2025-07-12 10:02:00')");
        String text = status();
        assertTrue(text.contains("checkpoint  2025-07-12T09:50:00Z (the view does not show it yet), set by incremental run inc-abc-3"), text);
        int failed = text.indexOf("inc-abc-3-failed-1");
        int base = text.indexOf("base-1");
        assertTrue(failed > 0 && base > failed, "newest first: " + text);
        assertTrue(text.contains("read 1000, timeline 990, quarantined 10"), text);
        assertTrue(text.contains("unreadable input file x: truncated"), text);
        assertTrue(text.contains("lease       held by inc-abc-4 (incremental) until 2025-07-12T10:02:00Z"), text);
    }
}
