package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.schemas.StoredStateSql;
import com.shipmenttimeline.schemas.TableColumn;
import com.shipmenttimeline.schemas.WarehouseDdl;
import com.shipmenttimeline.schemas.WarehouseTables;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The contract's tables and view: created when missing, migrated by added columns, never dropped but the view. */
public final class WarehouseObjects {
    private static final Logger LOG = LoggerFactory.getLogger(WarehouseObjects.class);

    private final Connections connections;
    private final WarehouseDdl ddl;

    WarehouseObjects(Connections connections, WarehouseDdl ddl) {
        this.connections = connections;
        this.ddl = ddl;
    }

    /** Creates every missing object of the contract; changes nothing that exists but for added columns. */
    public void ensure() {
        try (Connection c = connections.open(); Statement st = c.createStatement()) {
            st.execute(ddl.createSchema());
            DatabaseMetaData meta = c.getMetaData();
            for (WarehouseDdl.DdlObject o : ddl.objects()) {
                if (o.name().equals(WarehouseTables.REALTIME_VIEW) && kind(meta, o.name()).isPresent()
                        && isMaterialized(c) != ddl.materializedView()) {
                    // The view holds no data of its own: one of the other kind is replaced by the configured one.
                    LOG.info("warehouse: replacing the {} realtime view by a {} one (warehouse.realtime-view)",
                            ddl.materializedView() ? "plain" : "materialized", ddl.materializedView() ? "materialized" : "plain");
                    st.execute(ddl.dropView(o.name(), !ddl.materializedView()));
                }
                if (kind(meta, o.name()).isPresent()) {
                    addMissingColumns(meta, st, o);
                    continue;
                }
                for (String sql : o.statements()) {
                    st.execute(sql);
                }
                LOG.info("warehouse: created {}", ddl.qualified(o.name()));
                if (o.name().equals(WarehouseTables.STATE)) {
                    // A warehouse made by an older version has rows but no state: it is computed from them, once.
                    int filled = st.executeUpdate(new StoredStateSql(ddl).rebuildAll().get(1).sql());
                    LOG.info("warehouse: {} filled with the state of {} shipments from the stored rows", ddl.qualified(o.name()), filled);
                }
            }
            if (ddl.swapsBase()) {
                int moved = st.executeUpdate(ddl.moveBaseRowsToHistory());
                if (moved > 0) {
                    LOG.info("warehouse: moved {} rows that {} held itself to {} (a warehouse made by an older version; once)", moved,
                            ddl.qualified(WarehouseTables.BASE), ddl.qualified(WarehouseTables.BASE_HISTORY));
                }
            }
        } catch (SQLException e) {
            throw new WarehouseException("cannot create the warehouse objects in schema " + ddl.schema(), e);
        }
    }

    /** A table made by an older version gains the columns added since (never dropped or changed). */
    private void addMissingColumns(DatabaseMetaData meta, Statement st, WarehouseDdl.DdlObject o) throws SQLException {
        if (o.columns().isEmpty()) {
            return;
        }
        Set<String> present = new HashSet<>();
        try (ResultSet rs = meta.getColumns(null, ddl.schema(), o.name(), null)) {
            while (rs.next()) {
                present.add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
            }
        }
        for (TableColumn col : o.columns()) {
            if (!present.contains(col.name())) {
                st.execute(ddl.addColumn(o.name(), col));
                LOG.info("warehouse: added column {} to {}", col.name(), ddl.qualified(o.name()));
            }
        }
    }

    /** Drops the realtime view, whichever kind it is now (a materialized or a plain view). */
    public void dropRealtimeView() {
        Optional<String> kind;
        boolean materialized;
        try (Connection c = connections.open()) {
            kind = kind(c.getMetaData(), WarehouseTables.REALTIME_VIEW);
            materialized = kind.isPresent() && isMaterialized(c);
        } catch (SQLException e) {
            throw new WarehouseException("cannot look up the realtime view", e);
        }
        kind.ifPresent(k -> Sql.execute(connections, ddl.dropView(WarehouseTables.REALTIME_VIEW, materialized)));
    }

    /** Whether the realtime view is a materialized one, from the catalog (drivers differ in what they call it). */
    private boolean isMaterialized(Connection c) throws SQLException {
        try (java.sql.PreparedStatement ps = c.prepareStatement(ddl.materializedViewExists())) {
            ps.setString(1, ddl.schema());
            ps.setString(2, WarehouseTables.REALTIME_VIEW);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** The object's table type as the driver reports it (TABLE, VIEW, MATERIALIZED VIEW), if it exists. */
    private Optional<String> kind(DatabaseMetaData meta, String name) throws SQLException {
        try (ResultSet rs = meta.getTables(null, ddl.schema(), name, null)) {
            return rs.next() ? Optional.ofNullable(rs.getString("TABLE_TYPE")).or(() -> Optional.of("TABLE")) : Optional.empty();
        }
    }
}
