package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.schemas.ColumnKind;
import com.shipmenttimeline.schemas.WarehouseSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the statements that {@code schemas/} renders, binding each named parameter from a map:
 * {@link Instant}s as UTC timestamps, and a null only as a {@link Null} that says its SQL type.
 */
final class Sql {
    private Sql() {}

    /** A SQL NULL of a declared type (JDBC drivers differ on untyped nulls). */
    record Null(int sqlType) {
        static Null of(ColumnKind kind) {
            return new Null(switch (kind) {
                case TIMESTAMP -> Types.TIMESTAMP;
                case BIGINT -> Types.BIGINT;
                case DOUBLE -> Types.DOUBLE;
                case BOOLEAN -> Types.BOOLEAN;
                default -> Types.VARCHAR;
            });
        }
    }

    static final Null NULL_TIMESTAMP = new Null(Types.TIMESTAMP);

    /** An instant, or a typed null. */
    static Object timestamp(Instant value) {
        return value == null ? NULL_TIMESTAMP : value;
    }

    /** Reads one row of a result. */
    @FunctionalInterface
    interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    static PreparedStatement prepare(Connection c, WarehouseSql.Statement st, Map<String, ?> values) throws SQLException {
        PreparedStatement ps = c.prepareStatement(st.sql());
        try {
            for (int i = 0; i < st.parameters().size(); i++) {
                String name = st.parameters().get(i);
                if (!values.containsKey(name)) {
                    throw new IllegalArgumentException("no value for parameter " + name + " of: " + firstWords(st.sql()));
                }
                bind(ps, i + 1, values.get(name));
            }
            return ps;
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
    }

    /** Runs an update on the caller's connection; returns the update count. */
    static int update(Connection c, WarehouseSql.Statement st, Map<String, ?> values) throws SQLException {
        try (PreparedStatement ps = prepare(c, st, values)) {
            return ps.executeUpdate();
        }
    }

    /** The rows of a query on the caller's connection. */
    static <T> List<T> rows(Connection c, WarehouseSql.Statement st, Map<String, ?> values, RowReader<T> reader) throws SQLException {
        try (PreparedStatement ps = prepare(c, st, values); ResultSet rs = ps.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(reader.read(rs));
            }
            return out;
        }
    }

    private static void bind(PreparedStatement ps, int i, Object v) throws SQLException {
        if (v instanceof Null n) {
            ps.setNull(i, n.sqlType());
        } else if (v instanceof Instant instant) {
            ps.setTimestamp(i, Timestamp.from(instant));
        } else if (v instanceof Long l) {
            ps.setLong(i, l);
        } else if (v instanceof Integer n) {
            ps.setLong(i, n);
        } else if (v instanceof Double d) {
            ps.setDouble(i, d);
        } else if (v instanceof String s) {
            ps.setString(i, s);
        } else if (v == null) {
            throw new IllegalArgumentException("parameter " + i + " is an untyped null; pass a Sql.Null");
        } else {
            ps.setObject(i, v);
        }
    }

    /** One statement on a connection of its own, committed at once. */
    static void execute(Connections connections, String sql) {
        try (Connection c = connections.open(); java.sql.Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new WarehouseException("warehouse statement failed: " + firstWords(sql), e);
        }
    }

    static String firstWords(String sql) {
        String one = sql.replaceAll("\\s+", " ");
        return one.length() > 80 ? one.substring(0, 80) + "…" : one;
    }
}
