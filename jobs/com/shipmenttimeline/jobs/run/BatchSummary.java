package com.shipmenttimeline.jobs.run;

import static org.apache.spark.sql.functions.col;

import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.schemas.StoredStateSql;
import com.shipmenttimeline.transforms.EventOutcomes;
import com.shipmenttimeline.transforms.Outcome;
import com.shipmenttimeline.transforms.ShipmentState;
import java.sql.Timestamp;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * A small batch's classification, on the driver: ONE Spark job collects a few columns of each
 * classified row (it also fills the classified frame's cache), and the driver counts the outcomes
 * and unknown locations (contract section 2) and finds the shipments the batch does not simply
 * append to, against the state rows it looked up. The same rules as
 * {@link TimelinePipeline#countOutcomes} and the incremental job's Spark query for a large batch,
 * which cost four jobs (two of them to broadcast); ids compare as Spark compares them (UTF-8 bytes).
 */
record BatchSummary(TimelinePipeline.Outcomes outcomes, Set<String> touched) {

    /** @param stateRows state rows in {@link StoredStateSql#STATE_COLUMNS}' order (looked up by key, they carry no schema) */
    static BatchSummary of(Dataset<Row> tagged, Set<String> knownLocations, List<Row> stateRows) {
        Map<String, Row> state = new HashMap<>();
        for (Row s : stateRows) {
            state.put(s.getString(STATE_ID), s);
        }
        Map<String, Long> counts = new HashMap<>();
        long unknown = 0;
        Map<String, Row> first = new HashMap<>();
        Set<String> touched = new TreeSet<>();
        for (Row r : tagged.select(col(Outcome.COLUMN), col(RawEvents.SHIPMENT_ID), col(RawEvents.EVENT_TIMESTAMP), col(RawEvents.EVENT_ID),
                col(RawEvents.LOCATION_ID), col(EventOutcomes.SUPERSEDES)).collectAsList()) {
            String outcome = r.getString(0);
            counts.merge(outcome, 1L, Long::sum);
            boolean inScope = Outcome.TIMELINE.equals(outcome);
            if (inScope && !r.isNullAt(4) && !knownLocations.contains(r.getString(4))) {
                unknown++;
            }
            if (!r.isNullAt(5)) {
                touched.add(r.getString(5));
                if (inScope) {
                    touched.add(r.getString(1));
                }
            }
            if (inScope) {
                first.merge(r.getString(1), r, (a, b) -> earlier(a.getTimestamp(2), a.getString(3), b.getTimestamp(2), b.getString(3)) ? a : b);
            }
        }
        first.forEach((shipment, r) -> {
            Row s = state.get(shipment);
            if (s != null && earlier(r.getTimestamp(2), r.getString(3), s.getTimestamp(STATE_LAST_TS), s.getString(STATE_LAST_ID))) {
                touched.add(shipment);
            }
        });
        return new BatchSummary(new TimelinePipeline.Outcomes(Map.copyOf(counts), unknown), touched);
    }

    private static final List<String> STATE = List.of(com.shipmenttimeline.schemas.TimelineColumns.names(StoredStateSql.STATE_COLUMNS));
    private static final int STATE_ID = STATE.indexOf(ShipmentState.SHIPMENT_ID);
    private static final int STATE_LAST_TS = STATE.indexOf(ShipmentState.LAST_EVENT_TIMESTAMP);
    private static final int STATE_LAST_ID = STATE.indexOf(ShipmentState.LAST_EVENT_ID);

    /** Whether (ts, id) sorts before (otherTs, otherId): by time, then by id as Spark orders strings. */
    private static boolean earlier(Timestamp ts, String id, Timestamp otherTs, String otherId) {
        int c = ts.compareTo(otherTs);
        return c < 0 || c == 0 && UTF8String.fromString(id).compareTo(UTF8String.fromString(otherId)) < 0;
    }
}
