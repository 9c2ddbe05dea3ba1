package com.shipmenttimeline.transforms;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import com.shipmenttimeline.schemas.QuarantineReason;
import com.shipmenttimeline.schemas.RawEvents;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Validation of contract section 2, step 1 (all but {@code TOO_LATE}, which is a window test
 * applied after deduplication): blank strings become null, then the first reason that applies is
 * written to {@link #REASON}.
 */
public final class EventValidation {
    private EventValidation() {}

    public static final String REASON = "_quarantine_reason";

    /** Every character for which {@code Character.isWhitespace} holds (all lie in the BMP). */
    static final String WHITESPACE = whitespace();

    private static String whitespace() {
        StringBuilder sb = new StringBuilder();
        for (char ch = 0; ch < Character.MAX_VALUE; ch++) {
            if (Character.isWhitespace(ch)) {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    /**
     * Java's {@code String.isBlank} as a Spark expression: empty once every {@code Character.isWhitespace}
     * character is trimmed from both ends (null for null). Far cheaper than a regular expression.
     */
    public static Column isBlank(Column c) {
        return length(trim(c, WHITESPACE)).equalTo(0);
    }

    /**
     * @param read rows of {@link RawEvents#READ_SCHEMA}
     * @param asOf the run's reference time
     * @param futureTolerance how far past {@code asOf} a timestamp may lie
     */
    public static Dataset<Row> apply(Dataset<Row> read, Instant asOf, Duration futureTolerance) {
        Dataset<Row> normalised = normaliseBlanks(read);
        Timestamp futureLimit = Timestamp.from(asOf.plus(futureTolerance));
        Column reason = when(col(RawEvents.MALFORMED), lit(QuarantineReason.MALFORMED.name()))
                .when(col(RawEvents.EVENT_ID).isNull(), lit(QuarantineReason.MISSING_EVENT_ID.name()))
                .when(col(RawEvents.SHIPMENT_ID).isNull(), lit(QuarantineReason.MISSING_SHIPMENT_ID.name()))
                .when(col(RawEvents.EVENT_TIMESTAMP).isNull(), lit(QuarantineReason.MISSING_EVENT_TIMESTAMP.name()))
                .when(col(RawEvents.STATUS).isNull(), lit(QuarantineReason.MISSING_STATUS.name()))
                .when(col(RawEvents.EVENT_TIMESTAMP).gt(lit(futureLimit)), lit(QuarantineReason.FUTURE_TIMESTAMP.name()));
        return normalised.withColumn(REASON, reason);
    }

    /** Every event string column that is empty or only whitespace becomes null. */
    public static Dataset<Row> normaliseBlanks(Dataset<Row> read) {
        Dataset<Row> out = read;
        for (String c : RawEvents.STRING_COLUMNS) {
            out = out.withColumn(c, when(isBlank(col(c)), lit(null).cast("string")).otherwise(col(c)));
        }
        return out;
    }
}
