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
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
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

    /** Values of one list token per statement, at most: more go in statements of their own, chunk by chunk. */
    static final int LIST_CHUNK = 1_000;

    /**
     * Prepares a statement: its {@code ?}s take the named parameters in order, and each list token
     * ({@code :name} whose value is a {@link Collection}, as in {@code IN (:name)}) becomes one
     * {@code ?} per value, bound in place. Quoted text and {@code ::} casts are left alone.
     */
    static PreparedStatement prepare(Connection c, WarehouseSql.Statement st, Map<String, ?> values) throws SQLException {
        StringBuilder sql = new StringBuilder();
        List<Object> bound = new ArrayList<>();
        String text = st.sql();
        int next = 0;
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '\'') {
                quoted = !quoted;
            } else if (!quoted && ch == '?') {
                if (next >= st.parameters().size()) {
                    throw new IllegalArgumentException("more ? than parameters in: " + firstWords(text));
                }
                String name = st.parameters().get(next++);
                if (!values.containsKey(name)) {
                    throw new IllegalArgumentException("no value for parameter " + name + " of: " + firstWords(text));
                }
                bound.add(values.get(name));
            } else if (!quoted && ch == ':' && i + 1 < text.length() && text.charAt(i + 1) == ':') {
                sql.append("::");
                i++;
                continue;
            } else if (!quoted && ch == ':') {
                int end = i + 1;
                while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')) {
                    end++;
                }
                if (values.get(text.substring(i + 1, end)) instanceof Collection<?> list) {
                    if (list.isEmpty()) {
                        throw new IllegalArgumentException("empty list " + text.substring(i, end) + " in: " + firstWords(text));
                    }
                    sql.append(String.join(", ", Collections.nCopies(list.size(), "?")));
                    bound.addAll(list);
                    i = end - 1;
                    continue;
                }
            }
            sql.append(ch);
        }
        PreparedStatement ps = c.prepareStatement(sql.toString());
        try {
            for (int i = 0; i < bound.size(); i++) {
                bind(ps, i + 1, bound.get(i));
            }
            return ps;
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
    }

    /**
     * Runs an update on the caller's connection; returns the update count. A statement with one list
     * longer than {@link #LIST_CHUNK} ({@link #prepare}) runs once per chunk of it, counts summed:
     * each such statement is a union over the list's values (a delete or an insert per shipment or event).
     */
    static int update(Connection c, WarehouseSql.Statement st, Map<String, ?> values) throws SQLException {
        List<String> longLists = values.entrySet().stream().filter(e -> e.getValue() instanceof Collection<?> l && l.size() > LIST_CHUNK
                && st.sql().contains(":" + e.getKey())).map(Map.Entry::getKey).toList();
        if (longLists.size() > 1) {
            throw new IllegalArgumentException("more than one long list in: " + firstWords(st.sql()));
        }
        if (longLists.isEmpty()) {
            try (PreparedStatement ps = prepare(c, st, values)) {
                return ps.executeUpdate();
            }
        }
        List<?> all = List.copyOf((Collection<?>) values.get(longLists.get(0)));
        int count = 0;
        for (int from = 0; from < all.size(); from += LIST_CHUNK) {
            Map<String, Object> chunk = new HashMap<>(values);
            chunk.put(longLists.get(0), all.subList(from, Math.min(all.size(), from + LIST_CHUNK)));
            try (PreparedStatement ps = prepare(c, st, chunk)) {
                count += ps.executeUpdate();
            }
        }
        return count;
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
