package com.shipmenttimeline.transforms;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
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
 * Assigns every row read exactly one {@link Outcome} (contract section 2), in the contract's
 * order: quarantine, then deduplication among the rows that pass, then the window test (base runs)
 * or the checkpoint test (incremental runs) on the survivor. A base run deduplicates inside its
 * shipment partitioning ({@link EventDedup#markDuplicatesByShipment}); an incremental batch, small,
 * in one window by {@code event_id} ({@link EventDedup#markDuplicates}), which takes fewer Spark jobs.
 */
public final class EventOutcomes {
    private EventOutcomes() {}

    private static final String STORED = "_stored";

    /** A base run: a surviving row before {@code windowStart} is quarantined as {@code TOO_LATE}. */
    public static Dataset<Row> forBase(Dataset<Row> read, Instant asOf, Duration futureTolerance, Instant windowStart) {
        Dataset<Row> local = markedWithinShipments(read, asOf, futureTolerance);
        return forBase(local, EventDedup.crossShipmentWinners(local), windowStart);
    }

    /**
     * A base run's rows validated and deduplicated within their shipments: one shuffle of the wide
     * rows, by {@code shipment_id}, which the timeline window then reuses. A base run caches it and
     * collects its {@link EventDedup#crossShipmentWinners} before {@link #forBase(Dataset, Dataset, Instant)}.
     */
    public static Dataset<Row> markedWithinShipments(Dataset<Row> read, Instant asOf, Duration futureTolerance) {
        return EventDedup.markWithinShipments(EventValidation.apply(read, asOf, futureTolerance));
    }

    /** A base run's outcomes, from its rows marked within shipments and the winners of event_ids that cross shipments. */
    public static Dataset<Row> forBase(Dataset<Row> markedWithinShipments, Dataset<Row> crossShipmentWinners, Instant windowStart) {
        Dataset<Row> marked = EventDedup.applyCrossShipmentWinners(markedWithinShipments, crossShipmentWinners);
        Column outcome = quarantineOrDuplicate()
                .when(col(RawEvents.EVENT_TIMESTAMP).lt(lit(Timestamp.from(windowStart))), lit(QuarantineReason.TOO_LATE.name()))
                .otherwise(lit(Outcome.TIMELINE));
        return finish(marked.withColumn(Outcome.COLUMN, outcome));
    }

    /**
     * An incremental run: a survivor whose {@code event_id} is stored already is
     * {@code ALREADY_PROCESSED}; otherwise one at or before the checkpoint is {@code LATE}.
     *
     * @param storedEventIds one column, {@code event_id}: those of the batch's ids already in the timeline
     * @param checkpoint the checkpoint, or null when nothing has been processed yet
     */
    public static Dataset<Row> forIncremental(Dataset<Row> read, Instant asOf, Duration futureTolerance,
            Instant checkpoint, Dataset<Row> storedEventIds) {
        Dataset<Row> marked = EventDedup.markDuplicates(EventValidation.apply(read, asOf, futureTolerance));
        Dataset<Row> stored = storedEventIds.select(col(RawEvents.EVENT_ID)).distinct().withColumn(STORED, lit(true));
        Dataset<Row> joined = marked.join(stored, marked.col(RawEvents.EVENT_ID).equalTo(stored.col(RawEvents.EVENT_ID)), "left")
                .drop(stored.col(RawEvents.EVENT_ID));
        Column late = checkpoint == null
                ? lit(false)
                : col(RawEvents.EVENT_TIMESTAMP).leq(lit(Timestamp.from(checkpoint)));
        Column outcome = quarantineOrDuplicate()
                .when(col(STORED).isNotNull(), lit(Outcome.ALREADY_PROCESSED))
                .when(late, lit(Outcome.LATE))
                .otherwise(lit(Outcome.TIMELINE));
        return finish(joined.withColumn(Outcome.COLUMN, outcome).drop(STORED));
    }

    private static Column quarantineOrDuplicate() {
        return when(col(EventValidation.REASON).isNotNull(), col(EventValidation.REASON))
                .when(col(EventDedup.IS_DUPLICATE), lit(Outcome.DUPLICATE));
    }

    private static Dataset<Row> finish(Dataset<Row> withOutcome) {
        return withOutcome.drop(EventValidation.REASON, EventDedup.IS_DUPLICATE);
    }
}
