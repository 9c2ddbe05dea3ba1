package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.source.ReferenceData;
import com.shipmenttimeline.jobs.warehouse.Warehouse;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import com.shipmenttimeline.schemas.StoredStateSql;
import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.transforms.Enrichment;
import com.shipmenttimeline.transforms.Outcome;
import com.shipmenttimeline.transforms.TimelineFields;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.Dataset;
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
     * The timeline rows of the in-scope events, each shipment continued from its stored state.
     *
     * @param stateBefore only stored rows before this are history (a base run's window start); null for all
     * @param replacing true for a base run, whose stored rows with the run's event ids are about to be replaced
     */
    public Dataset<Row> computeTimeline(Dataset<Row> inScope, String keysTable, Instant stateBefore, boolean replacing) {
        Dataset<Row> state = warehouse.staging().query(spark, new StoredStateSql(warehouse.ddl()).state(keysTable, stateBefore, replacing));
        Dataset<Row> packages = reference.packages();
        if (!replacing) {
            // An incremental batch aggregates the packages of its own shipments only: the rest of the
            // packages table is scanned, never shuffled, so the batch's cost stays with the batch.
            // The batch's shipment ids go to every task (broadcast): the packages are filtered where they are read.
            packages = packages.join(broadcast(inScope.select(col(TimelineColumns.SHIPMENT_ID)).distinct()), TimelineColumns.SHIPMENT_ID,
                    "left_semi");
        }
        Dataset<Row> enriched = Enrichment.apply(inScope, reference.locations(), packages);
        return TimelineFields.compute(enriched, state);
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

    /** In-scope events whose location_id is set but unknown to the locations (section 2's unknown_location). */
    public long unknownLocations(Dataset<Row> inScope) {
        Dataset<Row> known = Enrichment.locationsById(reference.locations()).select(col(RawEvents.LOCATION_ID));
        return inScope.filter(col(RawEvents.LOCATION_ID).isNotNull())
                .join(broadcast(known), inScope.col(RawEvents.LOCATION_ID).equalTo(known.col(RawEvents.LOCATION_ID)), "left_anti")
                .count();
    }

    /** The quarantined rows of a classified read, as {@code quarantined_events} rows. */
    public static Dataset<Row> quarantineRows(Dataset<Row> classified, String runId, Instant at) {
        Dataset<Row> q = classified.filter(col(Outcome.COLUMN).isin((Object[]) quarantineOutcomes()));
        return q.select(
                lit(runId).as("run_id"),
                col(Outcome.COLUMN).as("reason"),
                col(RawEvents.SOURCE_FILE).as("source_file"),
                col(RawEvents.RAW_RECORD).as("raw_record"),
                col(RawEvents.EVENT_ID).as("event_id"),
                col(RawEvents.SHIPMENT_ID).as("shipment_id"),
                col(RawEvents.EVENT_TIMESTAMP).as("event_timestamp"),
                lit(Timestamp.from(at)).as("quarantined_at"));
    }

    private static String[] quarantineOutcomes() {
        return java.util.Arrays.stream(com.shipmenttimeline.schemas.QuarantineReason.values()).map(Enum::name).toArray(String[]::new);
    }

    /** How many rows read ended in each outcome. */
    public static Map<String, Long> countByOutcome(Dataset<Row> classified) {
        Map<String, Long> m = new HashMap<>();
        for (Row r : classified.groupBy(col(Outcome.COLUMN)).count().collectAsList()) {
            m.put(r.getString(0), r.getLong(1));
        }
        return m;
    }
}
