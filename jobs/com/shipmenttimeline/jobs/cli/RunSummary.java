package com.shipmenttimeline.jobs.cli;

import com.shipmenttimeline.jobs.run.DailyBaseJob;
import com.shipmenttimeline.jobs.run.IncrementalJob;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import java.io.PrintStream;

/** What a finished run prints for its user: counts, checkpoint, where the rows went. */
final class RunSummary {
    private RunSummary() {}

    static void print(PrintStream out, IncrementalJob.RunResult r, Warehouse warehouse) {
        if (r.batches().isEmpty()) {
            out.println("incremental run: nothing new" + (r.batchesAlreadyCommitted() > 0
                    ? " (" + r.batchesAlreadyCommitted() + " batch(es) found committed by an earlier, interrupted run)" : ""));
        }
        for (RunRecord rec : r.batches()) {
            out.printf("incremental batch %s succeeded in %.1f s: %s files, read %s, timeline %s, quarantined %s, duplicates %s,"
                    + " already_processed %s; rewritten %s%n", rec.runId(), rec.durationSeconds(), rec.filesRead(),
                    rec.counts().read(), rec.counts().timeline(), rec.counts().quarantined(), rec.counts().duplicates(),
                    rec.counts().alreadyProcessed(), rec.counts().rewritten());
            out.printf("  checkpoint: %s (was %s)%n", rec.checkpointAfter(), rec.checkpointBefore());
        }
        out.printf("  warehouse: %s; view %s %s%n", warehouse.describe(),
                warehouse.ddl().qualified(com.shipmenttimeline.schemas.WarehouseTables.REALTIME_VIEW), r.view());
    }

    static void print(PrintStream out, DailyBaseJob.RunResult r, Warehouse warehouse) {
        RunRecord rec = r.record();
        out.printf("%s run %s %s in %.1f s%n", rec.processType().value(), rec.runId(), rec.status(), rec.durationSeconds());
        out.printf("  as_of %s, window from %s, %s raw files%n", rec.asOf(), rec.windowStart(), rec.filesRead());
        out.printf("  rows: read %s, timeline %s, quarantined %s, duplicates %s, unknown_location %s%n", rec.counts().read(),
                rec.counts().timeline(), rec.counts().quarantined(), rec.counts().duplicates(), rec.counts().unknownLocation());
        out.printf("  checkpoint: %s (was %s)%n", rec.checkpointAfter(), rec.checkpointBefore());
        out.printf("  lake: %s (Delta, version %d)%n", r.lakePath(), r.lakeVersion());
        out.printf("  warehouse: %s; tables %s, %s; view %s %s%n", warehouse.describe(),
                warehouse.ddl().qualified(com.shipmenttimeline.schemas.WarehouseTables.BASE),
                warehouse.ddl().qualified(com.shipmenttimeline.schemas.WarehouseTables.RUNS),
                warehouse.ddl().qualified(com.shipmenttimeline.schemas.WarehouseTables.REALTIME_VIEW), r.view());
    }
}
