package com.shipmenttimeline.jobs.metrics;

import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.jobs.warehouse.WarehouseException;
import com.shipmenttimeline.jobs.warehouse.WarehouseLease;
import com.shipmenttimeline.schemas.LedgerSql;
import com.shipmenttimeline.schemas.WarehouseTables;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;

/**
 * {@code --mode status}: the pipeline's state in one screen, no Spark: the checkpoint (and whether
 * the view shows it yet), the latest runs, and who holds the timeline lease.
 */
public final class PipelineStatus {
    private static final int RUNS = 10;

    private final Warehouse warehouse;

    public PipelineStatus(Warehouse warehouse) {
        this.warehouse = warehouse;
    }

    public void print(PrintStream out) {
        warehouse.objects().ensure();
        LedgerSql sql = new LedgerSql(warehouse.ddl());
        try (Connection c = warehouse.connect()) {
            checkpoint(c, sql, out);
            runs(c, sql, out);
            lease(c, sql, out);
        } catch (SQLException e) {
            throw new WarehouseException("cannot read the pipeline's state", e);
        }
    }

    private static void checkpoint(Connection c, LedgerSql sql, PrintStream out) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.checkpointRow().sql())) {
            ps.setString(1, WarehouseTables.CHECKPOINT_ID);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getTimestamp(1) == null) {
                    out.println("checkpoint  none: no run has committed");
                    return;
                }
                String shown = LedgerSql.REFRESHED.equals(rs.getString(2)) ? "the view shows it" : "the view does not show it yet";
                out.printf("checkpoint  %s (%s), set by %s run %s at %s%n", rs.getTimestamp(1).toInstant(), shown, rs.getString(3),
                        rs.getString(4), rs.getTimestamp(5).toInstant());
            }
        }
    }

    private static void runs(Connection c, LedgerSql sql, PrintStream out) throws SQLException {
        out.println("latest runs, newest first:");
        try (PreparedStatement ps = c.prepareStatement(sql.latestRuns(RUNS).sql()); ResultSet rs = ps.executeQuery()) {
            boolean any = false;
            while (rs.next()) {
                any = true;
                String error = rs.getString(9) == null ? "" : "  " + rs.getString(9).lines().findFirst().orElse("");
                out.printf(Locale.ROOT, "  %-40s %-11s %-9s %s %7.1f s  read %s, timeline %s, quarantined %s%s%n", rs.getString(1),
                        rs.getString(2), rs.getString(3), rs.getTimestamp(4) == null ? "-" : rs.getTimestamp(4).toInstant(), rs.getDouble(5),
                        rs.getObject(6), rs.getObject(7), rs.getObject(8), error);
            }
            if (!any) {
                out.println("  none");
            }
        }
    }

    private static void lease(Connection c, LedgerSql sql, PrintStream out) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.leaseHolder().sql())) {
            ps.setString(1, WarehouseLease.NAME);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getString(1) != null) {
                    out.printf("lease       held by %s (%s) until %s%n", rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant());
                } else {
                    out.println("lease       free");
                }
            }
        }
    }
}
