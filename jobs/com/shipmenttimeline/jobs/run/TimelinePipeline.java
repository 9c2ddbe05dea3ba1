package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.source.ReferenceData;
import com.shipmenttimeline.jobs.warehouse.Warehouse;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import com.shipmenttimeline.schemas.StoredStateSql;
import com.shipmenttimeline.schemas.ColumnKind;
import com.shipmenttimeline.schemas.QuarantineReason;
import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.schemas.StorageLimits;
import com.shipmenttimeline.transforms.StorableValues;
import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.transforms.Enrichment;
import com.shipmenttimeline.transforms.Outcome;
import com.shipmenttimeline.transforms.TimelineFields;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The steps the base and the incremental job share, so that each exists once: reading the stored
 * state of the run's shipments, enriching, computing the timeline, the quarantine rows, the counts.
 */
public final class TimelinePipeline {
    private final SparkSession spark;
    private final Warehouse warehouse;
    private final ReferenceData reference;

    public TimelinePipeline(SparkSession spark, Warehouse warehouse, ReferenceData reference) {
        this.spark = spark;
        this.warehouse = warehouse;
        this.reference = reference;
    }

    /** Stages the run's (shipment_id, event_id) keys in the warehouse, for the look-ups below. */
    public void stageKeys(Dataset<Row> inScope, String keysTable) {
        warehouse.staging().stage(inScope.select(col(TimelineColumns.SHIPMENT_ID), col(TimelineColumns.EVENT_ID)), keysTable, StoredStateSql.KEY_COLUMNS);
    }

    /**
     * A base run's stored state: per shipment of the run, its last stored row before the window start
     * (the state table says which shipments have one), stored rows the run rewrites left out.
     */
    public Dataset<Row> stateBeforeWindow(String keysTable, Instant windowStart) {
        return warehouse.staging().query(spark, new StoredStateSql(warehouse.ddl()).stateBefore(keysTable, windowStart));
    }

    /**
     * The timeline rows of the in-scope events, each shipment continued from its stored state.
     *
     * @param state at most one {@link com.shipmenttimeline.transforms.ShipmentState} row per shipment
     * @param allPackages true for a base run, which enriches from every package; a batch reads its own shipments' only
     */
    public Dataset<Row> computeTimeline(Dataset<Row> inScope, Dataset<Row> state, boolean allPackages) {
        Dataset<Row> packages = reference.packages();
        if (!allPackages) {
            // An incremental batch aggregates the packages of its own shipments only: the rest of the
            // packages table is scanned, never shuffled, so the batch's cost stays with the batch.
            // The batch's shipment ids go to every task (broadcast): the packages are filtered where they are read.
            packages = packages.join(broadcast(inScope.select(col(TimelineColumns.SHIPMENT_ID)).distinct()), TimelineColumns.SHIPMENT_ID,
                    "left_semi");
        }
        Dataset<Row> enriched = Enrichment.apply(inScope, reference.locations(), packages);
        return TimelineFields.compute(enriched, state);
    }

    /** As {@link #computeTimeline(Dataset, Dataset, boolean)} for a batch whose shipment ids the driver holds: the packages are filtered by them where they are read. */
    public Dataset<Row> computeTimeline(Dataset<Row> inScope, Dataset<Row> state, java.util.List<String> shipmentIds) {
        Dataset<Row> packages = reference.packages().filter(col(TimelineColumns.SHIPMENT_ID).isin(shipmentIds.toArray()));
        return TimelineFields.compute(Enrichment.apply(inScope, reference.locations(), packages), state);
    }

    /** The size and latest event time of a computed timeline. */
    public record TimelineStats(long rows, Instant maxEventTimestamp) {}

    /**
     * Counts the computed rows (one Spark job, which also fills the cache of a persisted frame) and
     * checks that no event was lost or doubled on the way from the in-scope rows.
     */
    public static TimelineStats summarize(Dataset<Row> timeline, long inScopeRows) {
        Row r = timeline.agg(org.apache.spark.sql.functions.count(lit(1)),
                org.apache.spark.sql.functions.max(col(TimelineColumns.EVENT_TIMESTAMP))).first();
        if (r.getLong(0) != inScopeRows) {
            throw new IllegalStateException("timeline has " + r.getLong(0) + " rows for " + inScopeRows + " events in scope");
        }
        return new TimelineStats(r.getLong(0), r.isNullAt(1) ? null : r.getTimestamp(1).toInstant());
    }

    /** The quarantined rows of a classified read, as {@code quarantined_events} rows. */
    public static Dataset<Row> quarantineRows(Dataset<Row> classified, String runId, Instant at, StorageLimits limits) {
        Dataset<Row> q = classified.filter(col(Outcome.COLUMN).isin((Object[]) quarantineOutcomes()));
        // A quarantine row is stored whatever its values: text escaped and cut to the column, an id the warehouse
        // cannot hold left null (the raw record keeps it), the detail only for a malformed row.
        return q.select(
                lit(runId).as("run_id"),
                col(Outcome.COLUMN).as("reason"),
                StorableValues.storableText(col(RawEvents.SOURCE_FILE), ColumnKind.TEXT, limits).as("source_file"),
                StorableValues.storableText(col(RawEvents.RAW_RECORD), ColumnKind.TEXT, limits).as("raw_record"),
                StorableValues.storableId(RawEvents.EVENT_ID, limits).as("event_id"),
                StorableValues.storableId(RawEvents.SHIPMENT_ID, limits).as("shipment_id"),
                col(RawEvents.EVENT_TIMESTAMP).as("event_timestamp"),
                lit(Timestamp.from(at)).as("quarantined_at"),
                org.apache.spark.sql.functions.when(col(Outcome.COLUMN).equalTo(QuarantineReason.MALFORMED.name()), col(RawEvents.MALFORMED_DETAIL))
                        .as("reason_detail"));
    }

    private static String[] quarantineOutcomes() {
        return java.util.Arrays.stream(com.shipmenttimeline.schemas.QuarantineReason.values()).map(Enum::name).toArray(String[]::new);
    }

    /** How many rows read ended in each outcome, and how many in-scope events name a location the locations do not know. */
    public record Outcomes(Map<String, Long> byOutcome, long unknownLocations) {
        public long of(String outcome) {
            return byOutcome.getOrDefault(outcome, 0L);
        }
    }

    /**
     * The outcome counts and section 2's {@code unknown_location} count in ONE pass over the classified
     * rows (the known location ids go to every task): the Spark job that fills the classified frame's cache.
     */
    public Outcomes countOutcomes(Dataset<Row> classified) {
        Dataset<Row> known = broadcast(Enrichment.locationsById(reference.locations()).select(col(RawEvents.LOCATION_ID).as("_known_id")));
        Column unknown = col(Outcome.COLUMN).equalTo(Outcome.TIMELINE).and(col(RawEvents.LOCATION_ID).isNotNull()).and(col("_known_id").isNull());
        Map<String, Long> m = new HashMap<>();
        long unknownLocations = 0;
        for (Row r : classified.join(known, classified.col(RawEvents.LOCATION_ID).equalTo(known.col("_known_id")), "left")
                .groupBy(col(Outcome.COLUMN))
                .agg(functions.count(lit(1)), functions.sum(functions.when(unknown, 1L).otherwise(0L)))
                .collectAsList()) {
            m.put(r.getString(0), r.getLong(1));
            unknownLocations += r.getLong(2);
        }
        return new Outcomes(Map.copyOf(m), unknownLocations);
    }
}
