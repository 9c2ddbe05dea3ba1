package com.shipmenttimeline.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The single-machine reference: every field of contract section 4 in DuckDB SQL, written
 * independently of the Spark code, over the same generated Parquet (the benchmark generates no
 * defects and no JSON, so validation has nothing to quarantine; dedup, the window, enrichment and
 * every computed field are here). {@link #compare} then counts, field by field, the rows where
 * Spark's lake copy and DuckDB disagree: any such row is a bug on one side.
 */
final class DuckDbReference implements AutoCloseable {
    /** The computed fields compared; doubles within a microsecond (or 1e-9 hours). */
    static final List<String> EXACT = List.of("shipment_id", "event_timestamp", "event_sequence", "event_type", "status", "location_id",
            "location_name", "region", "package_count", "promised_delivery_timestamp", "prev_status", "prev_location_id",
            "is_location_change", "status_start_timestamp", "is_past_promise");
    static final List<String> APPROXIMATE = List.of("total_weight_kg", "time_since_prev_event_seconds", "cumulative_transit_hours",
            "time_in_status_seconds", "prev_status_duration_seconds", "hours_to_promise");

    private final Connection c;

    DuckDbReference(int threads) throws SQLException {
        c = DriverManager.getConnection("jdbc:duckdb:");
        try (Statement st = c.createStatement()) {
            st.execute("SET threads = " + threads);
            st.execute("SET TimeZone = 'UTC'");
        }
    }

    /** Computes the timeline of the events at or after windowStart under raw/ and writes it to out (Parquet). */
    void compute(String raw, Instant windowStart, String out) throws SQLException {
        String ws = windowStart.toString().replace("T", " ").replace("Z", "");
        String sql = """
                COPY (
                WITH ev AS (
                  SELECT event_id, shipment_id, event_timestamp AS ts, event_type, status, location_id, ingested_at
                  FROM read_parquet('%1$s/shipment_events/**/*.parquet', union_by_name = true)
                  WHERE event_id IS NOT NULL AND shipment_id IS NOT NULL AND event_timestamp IS NOT NULL AND status IS NOT NULL
                ),
                dedup AS (
                  SELECT * FROM ev
                  QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingested_at DESC NULLS LAST, ts DESC,
                      status DESC NULLS LAST, location_id DESC NULLS LAST, event_type DESC NULLS LAST, shipment_id DESC NULLS LAST) = 1
                ),
                scope AS (SELECT * FROM dedup WHERE ts >= TIMESTAMP '%2$s'),
                loc AS (
                  SELECT location_id, max(struct_pack(n := location_name, r := region)) AS l
                  FROM read_parquet('%1$s/locations/**/*.parquet') WHERE location_id IS NOT NULL GROUP BY location_id
                ),
                pkg AS (
                  SELECT shipment_id, count(*) AS package_count, sum(weight_kg) AS total_weight_kg,
                         min(promised_delivery_timestamp) AS promise
                  FROM read_parquet('%1$s/packages/**/*.parquet') WHERE shipment_id IS NOT NULL GROUP BY shipment_id
                ),
                w AS (
                  SELECT s.*, row_number() OVER win AS event_sequence, lag(ts) OVER win AS p_ts,
                         lag(status) OVER win AS prev_status, lag(location_id) OVER win AS prev_location_id,
                         first_value(ts) OVER win AS f_ts,
                         CASE WHEN lag(status) OVER win IS NULL OR lag(status) OVER win <> status THEN 1 ELSE 0 END AS starts
                  FROM scope s WINDOW win AS (PARTITION BY shipment_id ORDER BY ts, event_id)
                ),
                r AS (SELECT *, sum(starts) OVER (PARTITION BY shipment_id ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING) AS run_no FROM w),
                st AS (SELECT *, min(ts) OVER (PARTITION BY shipment_id, run_no) AS status_start_timestamp FROM r),
                pst AS (SELECT *, lag(status_start_timestamp) OVER (PARTITION BY shipment_id ORDER BY ts, event_id) AS p_status_start FROM st)
                SELECT shipment_id, event_id, ts AS event_timestamp, event_sequence, event_type, status, location_id,
                       loc.l.n AS location_name, loc.l.r AS region, package_count, total_weight_kg, promise AS promised_delivery_timestamp,
                       (epoch_us(ts) - epoch_us(p_ts)) / 1e6 AS time_since_prev_event_seconds,
                       (epoch_us(ts) - epoch_us(f_ts)) / 3.6e9 AS cumulative_transit_hours,
                       prev_status, prev_location_id,
                       (p_ts IS NOT NULL AND location_id IS NOT NULL AND prev_location_id IS NOT NULL AND location_id <> prev_location_id)
                           AS is_location_change,
                       status_start_timestamp,
                       (epoch_us(ts) - epoch_us(status_start_timestamp)) / 1e6 AS time_in_status_seconds,
                       CASE WHEN p_ts IS NOT NULL AND prev_status <> status THEN (epoch_us(ts) - epoch_us(p_status_start)) / 1e6 END
                           AS prev_status_duration_seconds,
                       (epoch_us(promise) - epoch_us(ts)) / 3.6e9 AS hours_to_promise,
                       (promise IS NOT NULL AND ts > promise) AS is_past_promise
                FROM pst LEFT JOIN loc USING (location_id) LEFT JOIN pkg USING (shipment_id)
                ) TO '%3$s' (FORMAT parquet)
                """.formatted(raw, ws, out);
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /**
     * Rows only one side has, and per field the rows whose values differ, between DuckDB's result
     * and Spark's (the Parquet files of a fresh Delta table).
     */
    Map<String, Long> compare(String duckOut, String sparkParquetGlob) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT count(*) FILTER (WHERE s.event_id IS NULL) AS only_duckdb,"
                + " count(*) FILTER (WHERE d.event_id IS NULL) AS only_spark");
        for (String f : EXACT) {
            sql.append(", count(*) FILTER (WHERE d.event_id IS NOT NULL AND s.event_id IS NOT NULL AND d.").append(f)
                    .append(" IS DISTINCT FROM s.").append(f).append(") AS ").append(f);
        }
        for (String f : APPROXIMATE) {
            sql.append(", count(*) FILTER (WHERE d.event_id IS NOT NULL AND s.event_id IS NOT NULL AND ((d.").append(f).append(" IS NULL) <> (s.")
                    .append(f).append(" IS NULL) OR abs(d.").append(f).append(" - s.").append(f).append(") > 1e-6)) AS ").append(f);
        }
        sql.append(" FROM read_parquet('").append(duckOut).append("') d FULL JOIN read_parquet('").append(sparkParquetGlob)
                .append("', union_by_name = true) s ON d.event_id = s.event_id");
        Map<String, Long> m = new LinkedHashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql.toString())) {
            rs.next();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                m.put(rs.getMetaData().getColumnLabel(i), rs.getLong(i));
            }
        }
        return m;
    }

    long rows(String parquet) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM read_parquet('" + parquet + "')")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() throws SQLException {
        c.close();
    }
}
