package com.shipmenttimeline.testing;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.warehouse.Retry;
import com.shipmenttimeline.jobs.warehouse.Warehouse;

import com.shipmenttimeline.schemas.SqlDialect;
import com.shipmenttimeline.schemas.WarehouseDdl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL server for the whole test JVM (started from zonky's binaries, on a free
 * port); each test gets a schema of its own, so tests do not see each other's rows.
 */
public final class TestWarehouse {
    private static EmbeddedPostgres server;
    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    private TestWarehouse() {}

    public static synchronized String jdbcUrl() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder().setServerConfig("max_connections", "200").start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot start the test PostgreSQL", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // the JVM is going away
                }
            }));
        }
        return server.getJdbcUrl("postgres", "postgres");
    }

    /** A fresh, empty schema name. */
    public static String freshSchema() {
        return "t" + SCHEMAS.incrementAndGet() + "_" + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    /** A fresh schema with every warehouse object of the contract in it. */
    public static String freshSchemaWithObjects() {
        String schema = freshSchema();
        try (Warehouse w = open(schema)) {
            w.objects().ensure();
        }
        return schema;
    }

    /** Overrides that point a run at this server and the given schema. */
    public static List<String> overrides(String schema) {
        List<String> o = new ArrayList<>();
        o.add("warehouse.kind=postgres");
        o.add("warehouse.jdbc-url=\"" + jdbcUrl() + "\"");
        o.add("warehouse.schema=" + schema);
        o.add("warehouse.lease.wait=\"2 seconds\"");
        return o;
    }

    public static Warehouse open(String schema) {
        return open(schema, jdbcUrl());
    }

    /** A warehouse on this server reached by another URL (through a proxy, say). */
    public static Warehouse open(String schema, String url) {
        return Warehouse.postgres(url, "", Optional.empty(), schema, 1000, null);
    }

    /** As {@link #open(String, String)}, with a retry policy of its own. */
    public static Warehouse open(String schema, String url, Retry retry) {
        return Warehouse.postgres(url, "", Optional.empty(), schema, 1000, null, retry);
    }

    /** As {@link #open(String, String, Retry)}, the realtime view a materialized one. */
    public static Warehouse openMaterialized(String schema, String url, Retry retry) {
        return Warehouse.postgres(url, "", Optional.empty(), new com.shipmenttimeline.schemas.WarehouseDdl(
                com.shipmenttimeline.schemas.SqlDialect.POSTGRES, schema, true), 1000, null, retry);
    }

    /** The server's port. */
    public static int port() {
        jdbcUrl();
        return server.getPort();
    }

    public static Settings.WarehouseSettings settings(String schema) {
        return Settings.load(null, overrides(schema)).warehouse();
    }

    /** Rows of a query as maps, in query order. */
    public static List<Map<String, Object>> query(String sql) {
        try (Connection c = java.sql.DriverManager.getConnection(jdbcUrl()); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            List<Map<String, Object>> out = new ArrayList<>();
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= n; i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                }
                out.add(row);
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /**
     * The state table of {@code schema} equals the state recomputed from its stored rows, shipment by
     * shipment and field by field (one row per shipment that has rows, none for others). Returns how
     * many shipments it compared.
     */
    public static int assertStateMatchesRows(String schema) {
        com.shipmenttimeline.schemas.StoredStateSql sql = new com.shipmenttimeline.schemas.StoredStateSql(
                new com.shipmenttimeline.schemas.WarehouseDdl(com.shipmenttimeline.schemas.SqlDialect.POSTGRES, schema));
        List<Map<String, Object>> expected = query("SELECT * FROM (" + sql.recomputedAll() + ") r ORDER BY shipment_id");
        List<Map<String, Object>> stored = query("SELECT * FROM " + schema + ".shipment_timeline_state ORDER BY shipment_id");
        org.junit.jupiter.api.Assertions.assertEquals(expected, stored, "the state table equals the state recomputed from the stored rows");
        return stored.size();
    }

    public static long count(String sql) {
        return ((Number) query(sql).get(0).values().iterator().next()).longValue();
    }

    public static void execute(String sql) {
        try (Connection c = java.sql.DriverManager.getConnection(jdbcUrl()); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }
}
