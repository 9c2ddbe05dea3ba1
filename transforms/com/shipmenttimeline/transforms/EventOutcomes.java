package com.shipmenttimeline.transforms;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
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
 * order: quarantine, then deduplication among the rows that pass (an incremental batch also against
 * the stored version of each event), then the window test on the survivor. A base run deduplicates inside its
 * shipment partitioning ({@link EventDedup#markDuplicatesByShipment}); an incremental batch, small,
 * in one window by {@code event_id} ({@link EventDedup#markDuplicates}), which takes fewer Spark jobs.
 */
public final class EventOutcomes {
    private EventOutcomes() {}

    private static final String STORED = "_stored_";

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
     * An incremental run (contract section 2). A survivor whose {@code event_id} is stored already is
     * {@code ALREADY_PROCESSED} when the stored version wins the survivor order against it (the same
     * version or a newer one); one that wins is a correction. Then a survivor before the latest base
     * window start is {@code TOO_LATE}; every other is a timeline row, wherever it falls in its
     * shipment. {@link #SUPERSEDES} names the shipment of the stored version a survivor replaces
     * (a correction, or a winning version that is {@code TOO_LATE}, whose stored row leaves the timeline).
     *
     * @param windowStart the latest base run's window start, or null when no base run has committed
     * @param storedVersions the stored rows of the batch's event ids: {@link #STORED_VERSION_COLUMNS}
     */
    public static Dataset<Row> forIncremental(Dataset<Row> read, Instant asOf, Duration futureTolerance, Instant windowStart,
            Dataset<Row> storedVersions) {
        Dataset<Row> marked = EventDedup.markDuplicates(EventValidation.apply(read, asOf, futureTolerance));
        java.util.List<Column> stored = new java.util.ArrayList<>();
        java.util.List<Column> mine = new java.util.ArrayList<>();
        Dataset<Row> versions = storedVersions.select(col(RawEvents.EVENT_ID).as(STORED + RawEvents.EVENT_ID),
                col(RawEvents.INGESTED_AT).as(STORED + RawEvents.INGESTED_AT), col(RawEvents.EVENT_TIMESTAMP).as(STORED + RawEvents.EVENT_TIMESTAMP),
                col(RawEvents.STATUS).as(STORED + RawEvents.STATUS), col(RawEvents.LOCATION_ID).as(STORED + RawEvents.LOCATION_ID),
                col(RawEvents.EVENT_TYPE).as(STORED + RawEvents.EVENT_TYPE), col(RawEvents.SHIPMENT_ID).as(STORED + RawEvents.SHIPMENT_ID));
        for (String f : EventDedup.ORDER_FIELDS) {
            stored.add(col(STORED + f));
            mine.add(col(f));
        }
        Dataset<Row> joined = marked.join(versions, marked.col(RawEvents.EVENT_ID).equalTo(col(STORED + RawEvents.EVENT_ID)), "left");
        Column isStored = col(STORED + RawEvents.EVENT_ID).isNotNull();
        Column correction = isStored.and(EventDedup.beats(mine, stored));
        Column tooLate = windowStart == null ? lit(false) : col(RawEvents.EVENT_TIMESTAMP).lt(lit(Timestamp.from(windowStart)));
        Column outcome = quarantineOrDuplicate()
                .when(isStored.and(not(correction)), lit(Outcome.ALREADY_PROCESSED))
                .when(tooLate, lit(QuarantineReason.TOO_LATE.name()))
                .otherwise(lit(Outcome.TIMELINE));
        Column survivor = col(EventValidation.REASON).isNull().and(not(col(EventDedup.IS_DUPLICATE)));
        Dataset<Row> out = joined.withColumn(Outcome.COLUMN, outcome)
                .withColumn(SUPERSEDES, when(survivor.and(correction), col(STORED + RawEvents.SHIPMENT_ID)));
        for (String f : STORED_VERSION_COLUMNS) {
            out = out.drop(STORED + f);
        }
        return finish(out);
    }

    /** What an incremental batch reads of the stored rows of its event ids: the survivor order's keys. */
    public static final java.util.List<String> STORED_VERSION_COLUMNS = java.util.List.of(RawEvents.EVENT_ID, RawEvents.INGESTED_AT,
            RawEvents.EVENT_TIMESTAMP, RawEvents.STATUS, RawEvents.LOCATION_ID, RawEvents.EVENT_TYPE, RawEvents.SHIPMENT_ID);

    /**
     * The column {@link #forIncremental} adds: for a survivor that wins against the stored version of
     * its {@code event_id}, that version's {@code shipment_id}; else null.
     */
    public static final String SUPERSEDES = "_supersedes";

    private static Column quarantineOrDuplicate() {
        return when(col(EventValidation.REASON).isNotNull(), col(EventValidation.REASON))
                .when(col(EventDedup.IS_DUPLICATE), lit(Outcome.DUPLICATE));
    }

    private static Dataset<Row> finish(Dataset<Row> withOutcome) {
        return withOutcome.drop(EventValidation.REASON, EventDedup.IS_DUPLICATE);
    }
}
