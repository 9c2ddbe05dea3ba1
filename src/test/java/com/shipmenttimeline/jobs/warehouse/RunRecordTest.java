package com.shipmenttimeline.jobs.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.schemas.ProcessType;
import com.shipmenttimeline.schemas.QuarantineReason;
import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.schemas.WarehouseTables;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The typed run record writes every processing_runs column, named and ordered as schemas/ declares them. */
class RunRecordTest {
    private static final Instant START = Instant.parse("2025-07-12T00:00:00Z");

    private static RunCounts counts() {
        return new RunCounts(1000, 900, Map.of(QuarantineReason.MALFORMED, 40L, QuarantineReason.TOO_LATE, 20L), 30, 6, 4, 3);
    }

    @Test
    void itsColumnsAreTheTablesColumnsInTableOrder() {
        RunRecord r = RunRecord.start("base-x", ProcessType.DAILY_BASE, START).succeeded(START.plusSeconds(60), 0, 1.0);
        assertEquals(List.of(TimelineColumns.names(WarehouseTables.RUN_COLUMNS)), new ArrayList<>(r.columns().keySet()));
    }

    @Test
    void aSucceededRunCarriesItsCountsAndFigures() {
        Instant checkpoint = START.plusSeconds(30);
        RunRecord r = RunRecord.start("base-x", ProcessType.DAILY_BASE, START).asOf(START).filesRead(7).counts(counts(), checkpoint)
                .checkpoints(null, checkpoint).succeeded(START.plusSeconds(120), 5, 3.0);
        Map<String, Object> c = r.columns();
        assertEquals("succeeded", c.get("status"));
        assertEquals("daily_base", c.get("process_type"));
        assertEquals(7L, c.get("files_read"));
        assertEquals(1000L, c.get("rows_read"));
        assertEquals(60L, c.get("quarantined"));
        assertEquals(40L, c.get("quarantined_malformed"));
        assertEquals(0L, c.get("quarantined_missing_status"));
        assertEquals(120.0, c.get("duration_seconds"));
        assertEquals(90.0, c.get("processing_lag_seconds"), "finish minus the checkpoint");
        assertEquals(500.0, c.get("throughput_per_minute"), "1000 rows in two minutes");
        assertEquals(0.06, c.get("error_rate"));
        assertEquals(5L, c.get("missing_events"));
        assertEquals(0.1, (double) c.get("estimated_cost_usd"), 1e-12, "two minutes at 3 USD an hour");
        assertEquals(checkpoint, c.get("max_event_timestamp"));
    }

    @Test
    void aFailedRunHasItsMessageAndNoFigures() {
        RunRecord r = RunRecord.start("inc-x-1-failed", ProcessType.INCREMENTAL, START).batchId("b")
                .finish(RunRecord.FAILED, START.plusSeconds(2), "boom");
        Map<String, Object> c = r.columns();
        assertEquals("failed", c.get("status"));
        assertEquals("boom", c.get("error_message"));
        assertNull(c.get("rows_read"), "never classified: no counts");
        assertNull(c.get("throughput_per_minute"));
        assertNull(c.get("files_read"));
        assertTrue(!r.succeeded());
    }

    @Test
    void aRunWithoutACheckpointHasNoLag() {
        RunRecord r = RunRecord.start("base-x", ProcessType.DAILY_BASE, START).counts(counts(), null).succeeded(START.plusSeconds(1), 0, 0);
        assertNull(r.figures().processingLagSeconds());
    }
}
