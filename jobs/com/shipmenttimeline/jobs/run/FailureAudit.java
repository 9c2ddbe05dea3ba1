package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes a failed run's audit row outside the rolled-back transaction (contract section 5). */
final class FailureAudit {
    private static final Logger LOG = LoggerFactory.getLogger(FailureAudit.class);

    private FailureAudit() {}

    static void write(Warehouse warehouse, RunRecord.Builder record, Throwable error, Clock clock) {
        String message = Settings.oneLine(error.getMessage() == null ? error.getClass().getName() : error.getMessage());
        RunRecord failed = record.finish(RunRecord.FAILED, clock.instant(), message.length() > 4000 ? message.substring(0, 4000) : message);
        try {
            warehouse.ledger().insertRunNow(failed);
        } catch (Exception auditFailure) {
            LOG.warn("could not write the failed run's audit row {}: {}", failed.runId(), auditFailure.getMessage());
        }
    }
}
