package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.schemas.StoredStateSql;
import com.shipmenttimeline.schemas.WarehouseSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A small batch's look-ups by key, on the driver: the keys go as parameters of plain queries
 * ({@link StoredStateSql.Keys#LISTED}), a chunk of shipments at a time, and the rows come back
 * over JDBC into a local DataFrame. No staging table, no COPY of the keys, no UNLOAD (on Redshift
 * each of those costs seconds), and no Spark job to read the rows.
 */
public final class KeyedReads {
    /** Keys per query, at most (a chunk holds all the keys of its shipments, so one can hold a few more). */
    static final int KEYS_PER_QUERY = 1_000;

    /** One (shipment_id, event_id) key. */
    public record Key(String shipmentId, String eventId) {}

    private final Connections connections;
    private final RoundTrips trips;

    KeyedReads(Connections connections, RoundTrips trips) {
        this.connections = connections;
        this.trips = trips;
    }

    /**
     * The distinct rows of {@code sql} for the keys, chunk by chunk, as a local frame.
     *
     * @param sql a query rendered with {@link StoredStateSql.Keys#LISTED}
     * @param schema the query's columns, in order (their types say how each is read)
     */
    public Dataset<Row> query(SparkSession spark, String sql, List<Key> keys, StructType schema) {
        return spark.createDataFrame(rows(sql, keys, schema), schema);
    }

    /** As {@link #query}, the rows themselves. */
    public List<Row> rows(String sql, List<Key> keys, StructType schema) {
        Set<Row> rows = new LinkedHashSet<>();
        try (Connection c = connections.open()) {
            for (List<Key> chunk : chunks(keys)) {
                Set<String> shipments = new LinkedHashSet<>();
                Set<String> events = new LinkedHashSet<>();
                for (Key k : chunk) {
                    shipments.add(k.shipmentId());
                    events.add(k.eventId());
                }
                trips.query();
                try (PreparedStatement ps = Sql.prepare(c, WarehouseSql.Statement.of(sql), Map.of(
                        StoredStateSql.Keys.SHIPMENT_LIST.substring(1), shipments, StoredStateSql.Keys.EVENT_LIST.substring(1), events));
                        ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(read(rs, schema));
                    }
                }
            }
        } catch (SQLException e) {
            throw new WarehouseException("warehouse look-up failed: " + Sql.firstWords(sql), e);
        }
        return List.copyOf(rows);
    }

    /** Chunks of about {@link #KEYS_PER_QUERY} keys, each with every key of its shipments. */
    static List<List<Key>> chunks(List<Key> keys) {
        Map<String, List<Key>> byShipment = new LinkedHashMap<>();
        for (Key k : keys) {
            byShipment.computeIfAbsent(k.shipmentId(), s -> new ArrayList<>()).add(k);
        }
        List<List<Key>> out = new ArrayList<>();
        List<Key> current = new ArrayList<>();
        for (List<Key> shipment : byShipment.values()) {
            if (!current.isEmpty() && current.size() + shipment.size() > KEYS_PER_QUERY) {
                out.add(current);
                current = new ArrayList<>();
            }
            current.addAll(shipment);
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }

    private static Row read(ResultSet rs, StructType schema) throws SQLException {
        StructField[] fields = schema.fields();
        Object[] values = new Object[fields.length];
        for (int i = 0; i < fields.length; i++) {
            DataType t = fields[i].dataType();
            Object v;
            if (t.equals(DataTypes.StringType)) {
                v = rs.getString(i + 1);
            } else if (t.equals(DataTypes.TimestampType)) {
                v = rs.getTimestamp(i + 1);
            } else if (t.equals(DataTypes.LongType)) {
                v = rs.getLong(i + 1);
            } else if (t.equals(DataTypes.IntegerType)) {
                v = rs.getInt(i + 1);
            } else if (t.equals(DataTypes.DoubleType)) {
                v = rs.getDouble(i + 1);
            } else if (t.equals(DataTypes.BooleanType)) {
                v = rs.getBoolean(i + 1);
            } else {
                throw new IllegalArgumentException("cannot read a " + t + " column: " + fields[i].name());
            }
            values[i] = rs.wasNull() ? null : v;
        }
        return RowFactory.create(values);
    }
}
