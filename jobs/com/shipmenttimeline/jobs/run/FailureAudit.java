package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes a failed run's audit row outside the rolled-back transaction (contract section 5). */
public final class FailureAudit {
    private static final Logger LOG = LoggerFactory.getLogger(FailureAudit.class);

    private FailureAudit() {}

    /**
     * Where a warehouse error quotes the row it failed on: PostgreSQL's "Failing row contains (...)", a
     * key's values in "Key (...)=(...)", a COPY's context line ({@code COPY t, line 3, column c: "..."}), and
     * the value in "invalid input syntax for type integer: "..."".
     */
    private static final java.util.regex.Pattern[] ROW_CONTENT = {
        java.util.regex.Pattern.compile("(Failing row contains) \\(.*?\\)(?=\\.?(\\s+(Where|Detail|Hint|Call getNextException|CONTEXT)\\b|\\s*$))"),
        java.util.regex.Pattern.compile("(Key \\([^)]*\\))=\\(.*?\\)(?= already exists| is not present| conflicts|\\.|\\s*$)"),
        java.util.regex.Pattern.compile("(COPY [^,]+, line \\d+(?:, column [^:]+)?): \".*\""),
        java.util.regex.Pattern.compile("(invalid input (?:syntax|value) for [\\w ]+): \".*?\"(?=\\s+(Where|Position|Detail)\\b|\\s*$)"),
    };

    /** An error message as it may be stored (processing_runs.error_message): one line, without a row's content. */
    public static String storable(Throwable error) {
        String message = Settings.oneLine(error.getMessage() == null ? error.getClass().getName() : error.getMessage());
        for (java.util.regex.Pattern p : ROW_CONTENT) {
            message = p.matcher(message).replaceAll("$1 (row content not stored)");
        }
        return message;
    }

    static void write(Warehouse warehouse, RunRecord.Builder record, Throwable error, Clock clock) {
        String message = storable(error);
        RunRecord failed = record.finish(RunRecord.FAILED, clock.instant(), message.length() > 4000 ? message.substring(0, 4000) : message);
        try {
            warehouse.ledger().insertRunNow(failed);
        } catch (Exception auditFailure) {
            LOG.warn("could not write the failed run's audit row {}: {}", failed.runId(), auditFailure.getMessage());
        }
    }
}
