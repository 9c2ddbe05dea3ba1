package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.jobs.warehouse.Warehouse;

import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes a failed run's audit row outside the rolled-back transaction (TIMELINE-SPEC section 5). */
final class FailureAudit {
    private static final Logger LOG = LoggerFactory.getLogger(FailureAudit.class);

    private FailureAudit() {}

    static void write(Warehouse warehouse, RunRecord record, Throwable error, Clock clock) {
        String message = Settings.oneLine(error.getMessage() == null ? error.getClass().getName() : error.getMessage());
        record.set("error_message", message.length() > 4000 ? message.substring(0, 4000) : message);
        record.finish(RunRecord.FAILED, clock.instant());
        try {
            warehouse.ledger().insertRunNow(record);
        } catch (Exception auditFailure) {
            LOG.warn("could not write the failed run's audit row {}: {}", record.runId(), auditFailure.getMessage());
        }
    }
}
