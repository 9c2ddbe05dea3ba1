package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.jobs.warehouse.WarehouseLease;
import java.util.List;
import java.util.OptionalLong;

/**
 * At the start of every run, under its lease: a lake that is ahead of the warehouse is put back
 * (contract section 5, "Nothing stored is lost"; nothing duplicated either). A base run killed after
 * its lake write and before its commit, or one that lost its lease and so may not restore, leaves
 * the lake holding rows the warehouse does not; an incremental run in that gap would append beside
 * them, and the next base run would disagree with both. Each table's newest commits are read with
 * the run that made them ({@link TimelineLake#uncommittedBaseVersions}); those of a base run the
 * ledger does not hold as succeeded are undone.
 */
final class LakeRecovery {
    private LakeRecovery() {}

    static void run(RunContext run, WarehouseLease lease, TimelineLake lake) {
        try {
            putBack(run, lease, lake);
        } catch (Exception e) { // Delta and s3a throw checked exceptions (an unreachable lake's IOException) undeclared
            throw e instanceof RuntimeException r ? r : new IllegalStateException("cannot read the lake's history: " + e.getMessage(), e);
        }
    }

    private static void putBack(RunContext run, WarehouseLease lease, TimelineLake lake) {
        for (String table : List.of(TimelineLake.BASE_TABLE, TimelineLake.INCREMENTAL_TABLE)) {
            OptionalLong to = lake.uncommittedBaseVersions(table, runId -> run.warehouse.ledger().runSucceeded(runId));
            if (to.isPresent()) {
                run.log.run("lake: " + table + " is ahead of the warehouse (a base run wrote it and never committed): put back to "
                        + (to.getAsLong() < 0 ? "empty" : "version " + to.getAsLong()), () -> {
                            lease.check("put the lake's " + table + " back");
                            lake.putBack(table, to.getAsLong());
                        });
            }
        }
    }
}
