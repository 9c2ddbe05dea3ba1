package com.shipmenttimeline.jobs.run;

import static org.apache.spark.sql.functions.col;

import com.shipmenttimeline.jobs.warehouse.KeyedReads;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.schemas.StoredStateSql;
import com.shipmenttimeline.schemas.TableColumn;
import com.shipmenttimeline.schemas.TimelineColumns;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * How an incremental batch reads the stored rows of its (shipment_id, event_id) keys. A batch of
 * up to {@code incremental.small-batch-keys} keys (100,000 by default) collects them to the driver
 * and looks up by them in plain queries, a chunk at a time ({@link KeyedReads}): the rows come back
 * as local frames, cached for the batch. A larger one (a catch-up after an
 * outage, a replay) stages them in a table of its own with one bulk load and reads through the bulk
 * path (an UNLOAD on Redshift), which is cheaper for many keys.
 */
final class BatchLookups {
    private final RunContext run;
    private final Optional<List<KeyedReads.Key>> listed;
    private final StoredStateSql.Keys keys;

    private BatchLookups(RunContext run, Optional<List<KeyedReads.Key>> listed, StoredStateSql.Keys keys) {
        this.run = run;
        this.listed = listed;
        this.keys = keys;
    }

    /**
     * The lookups of these keys.
     *
     * @param keys a frame of {@code shipment_id}, {@code event_id} rows, repeats allowed (a small batch's count with them)
     * @param what names the staging table when the keys are staged
     */
    static BatchLookups of(RunContext run, Dataset<Row> keys, String what) {
        return of(run, keys, what, run.settings.incremental().smallBatchKeys());
    }

    /**
     * The keys of the shipments a batch takes events into the middle of: listed up to
     * {@value #MAX_LISTED_TOUCHED_KEYS} (and the configured number), staged above. Their stored rows
     * come back in the tens of thousands where many shipments are touched, and a local frame of
     * that many rows travels with every task that reads it (measured: a 21,000-event batch with
     * 10,000 shipments out of order took 46 s listed against 20 s staged).
     */
    static BatchLookups ofTouched(RunContext run, Dataset<Row> keys) {
        return of(run, keys, "touched", Math.min(MAX_LISTED_TOUCHED_KEYS, run.settings.incremental().smallBatchKeys()));
    }

    static final int MAX_LISTED_TOUCHED_KEYS = 5_000;

    private static BatchLookups of(RunContext run, Dataset<Row> keys, String what, int most) {
        Dataset<Row> pairs = keys.select(col(TimelineColumns.SHIPMENT_ID), col(TimelineColumns.EVENT_ID));
        List<Row> first = most == 0 ? List.of() : pairs.limit(most + 1).collectAsList();
        Set<KeyedReads.Key> distinct = new LinkedHashSet<>();
        for (Row r : first) {
            distinct.add(new KeyedReads.Key(r.getString(0), r.getString(1)));
        }
        if (most > 0 && first.size() <= most) {
            return new BatchLookups(run, Optional.of(List.copyOf(distinct)), StoredStateSql.Keys.LISTED);
        }
        String table = run.staging(what);
        run.warehouse.staging().stage(pairs.distinct(), table, StoredStateSql.KEY_COLUMNS);
        return new BatchLookups(run, Optional.empty(), new StoredStateSql(run.warehouse.ddl()).staged(table));
    }

    /** Whether the keys were few enough to list (the small-batch path). */
    boolean listed() {
        return listed.isPresent();
    }

    /** The distinct shipment ids among listed keys. */
    List<String> shipmentIds() {
        return listed.orElseThrow().stream().map(KeyedReads.Key::shipmentId).distinct().toList();
    }

    /** How many distinct keys were listed (0 when they were staged). */
    int size() {
        return listed.map(List::size).orElse(0);
    }

    private StoredStateSql sql() {
        return new StoredStateSql(run.warehouse.ddl());
    }

    /** The stored versions of the keys' events, in {@code columns}. */
    Dataset<Row> storedVersions(List<String> columns) {
        return query(sql().storedVersions(keys, columns), schemaOf(columns));
    }

    /** The state-table rows of the keys' shipments (looked up once). */
    Dataset<Row> state() {
        if (state == null) {
            if (listed.isPresent()) {
                stateRows = run.warehouse.keyedReads().rows(sql().stateOfKeys(keys), listed.get(), STATE_SCHEMA);
                state = run.cache(run.spark.createDataFrame(stateRows, STATE_SCHEMA));
            } else {
                state = query(sql().stateOfKeys(keys), STATE_SCHEMA);
            }
        }
        return state;
    }

    /** The state rows themselves, on the driver: listed keys only. */
    List<Row> stateRows() {
        state();
        return java.util.Objects.requireNonNull(stateRows, "the state of staged keys is not on the driver");
    }

    private Dataset<Row> state;
    private List<Row> stateRows;

    /** Per shipment of the keys with rows before the window start, its last such row, the keys' own events left out. */
    Dataset<Row> stateBefore(Instant windowStart) {
        return query(sql().stateBefore(keys, windowStart), STATE_SCHEMA);
    }

    /** The stored rows at or after the window start of the keys' shipments, the keys' own events left out, in {@code columns}. */
    Dataset<Row> storedRowsFrom(Instant windowStart, List<String> columns) {
        return query(sql().storedRowsFrom(keys, windowStart, columns), schemaOf(columns));
    }

    /**
     * The rows, cached for the batch either way: a bulk read is read more than once; and a local
     * frame left as it is gets folded into every plan that reads it, so the optimizer evaluates
     * their filters over its rows again at each action (a filter by 10,000 touched shipments over
     * 21,000 state rows cost seconds a time), and its rows go out with every task. Cached, it is a
     * leaf that the first job reading it fills.
     */
    private Dataset<Row> query(String query, StructType schema) {
        return run.cache(listed.isPresent() ? run.warehouse.keyedReads().query(run.spark, query, listed.get(), schema)
                : run.warehouse.staging().query(run.spark, query));
    }

    private static final StructType STATE_SCHEMA = TimelineColumns.sparkSchema(StoredStateSql.STATE_COLUMNS);
    private static final Map<String, TableColumn> TIMELINE_COLUMNS = TimelineColumns.INCREMENTAL.stream()
            .collect(Collectors.toMap(TableColumn::name, Function.identity()));

    private static StructType schemaOf(List<String> columns) {
        List<TableColumn> found = new ArrayList<>();
        for (String c : columns) {
            TableColumn t = TIMELINE_COLUMNS.get(c);
            if (t == null) {
                throw new IllegalArgumentException("not a timeline column: " + c);
            }
            found.add(new TableColumn(t.name(), t.kind(), true));
        }
        return TimelineColumns.sparkSchema(found);
    }
}
