package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.schemas.WarehouseTables;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serialises the runs that write the timeline: one row in {@code timeline_lease} names the holder
 * and when its hold expires. The holder renews it while it works; a crashed holder's lease lapses
 * after the TTL. The commit transaction checks the holder again ({@link #assertHeld}), so a run
 * whose lease lapsed cannot commit over another's.
 */
public final class WarehouseLease implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WarehouseLease.class);
    private static final String NAME = "timeline";

    private final Warehouse warehouse;
    private final String runId;
    private final Duration ttl;
    private final Clock clock;
    private ScheduledExecutorService renewer;

    private WarehouseLease(Warehouse warehouse, String runId, Duration ttl, Clock clock) {
        this.warehouse = warehouse;
        this.runId = runId;
        this.ttl = ttl;
        this.clock = clock;
    }

    /** Takes the lease, waiting up to {@code wait} for another holder; else {@link WarehouseBusyException}. */
    public static WarehouseLease acquire(Warehouse warehouse, String runId, String processType, Duration ttl, Duration wait,
            Clock clock) {
        WarehouseLease lease = new WarehouseLease(warehouse, runId, ttl, clock);
        Instant deadline = clock.instant().plus(wait);
        boolean logged = false;
        while (true) {
            String holder = lease.tryAcquire(processType);
            if (holder == null) {
                lease.startRenewing();
                return lease;
            }
            if (!clock.instant().isBefore(deadline)) {
                throw new WarehouseBusyException("the warehouse is busy: run " + holder
                        + " holds the timeline lease; waited " + wait.toSeconds() + " s. Try again when it ends (a crashed run's lease lapses after "
                        + ttl.toSeconds() + " s)");
            }
            if (!logged) {
                LOG.info("lease: run {} holds the timeline lease; waiting up to {} s", holder, wait.toSeconds());
                logged = true;
            }
            sleep(Math.min(2000, Math.max(50, Duration.between(clock.instant(), deadline).toMillis())));
        }
    }

    /** @return null when acquired, else a description of the current holder */
    private String tryAcquire(String processType) {
        String table = warehouse.ddl().qualified(WarehouseTables.LEASE);
        Instant now = clock.instant();
        try (Connection c = warehouse.connect()) {
            c.setAutoCommit(true);
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + table + " (lease_name) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM "
                    + table + " WHERE lease_name = ?)")) {
                ins.setString(1, NAME);
                ins.setString(2, NAME);
                ins.executeUpdate();
            } catch (SQLException raced) {
                // Another run inserted the row at the same moment: fine, it exists now.
            }
            try (PreparedStatement up = c.prepareStatement("UPDATE " + table
                    + " SET holder_run_id = ?, holder_process_type = ?, acquired_at = ?, expires_at = ?"
                    + " WHERE lease_name = ? AND (holder_run_id IS NULL OR expires_at < ?)")) {
                up.setString(1, runId);
                up.setString(2, processType);
                up.setTimestamp(3, Timestamp.from(now));
                up.setTimestamp(4, Timestamp.from(now.plus(ttl)));
                up.setString(5, NAME);
                up.setTimestamp(6, Timestamp.from(now));
                if (up.executeUpdate() == 1) {
                    LOG.info("lease: run {} holds the timeline lease", runId);
                    return null;
                }
            }
            try (PreparedStatement q = c.prepareStatement("SELECT holder_run_id, holder_process_type, expires_at FROM " + table
                    + " WHERE lease_name = ?")) {
                q.setString(1, NAME);
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? rs.getString(1) + " (" + rs.getString(2) + ", until " + rs.getTimestamp(3).toInstant() + ")" : "unknown";
                }
            }
        } catch (SQLException e) {
            throw new WarehouseException("cannot take the timeline lease", e);
        }
    }

    private void startRenewing() {
        renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "timeline-lease-renewer");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, ttl.toMillis() / 3);
        renewer.scheduleAtFixedRate(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    private void renew() {
        try (Connection c = warehouse.connect(); PreparedStatement up = c.prepareStatement("UPDATE "
                + warehouse.ddl().qualified(WarehouseTables.LEASE) + " SET expires_at = ? WHERE lease_name = ? AND holder_run_id = ?")) {
            up.setTimestamp(1, Timestamp.from(clock.instant().plus(ttl)));
            up.setString(2, NAME);
            up.setString(3, runId);
            if (up.executeUpdate() != 1) {
                LOG.warn("lease: run {} no longer holds the timeline lease; its commit will be refused", runId);
            }
        } catch (SQLException e) {
            LOG.warn("lease: renewal failed: {}", e.getMessage());
        }
    }

    /** Inside the commit transaction: fails unless this run still holds the lease. */
    public void assertHeld(Connection c) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT holder_run_id FROM " + warehouse.ddl().qualified(WarehouseTables.LEASE)
                + " WHERE lease_name = ?")) {
            q.setString(1, NAME);
            try (ResultSet rs = q.executeQuery()) {
                if (!rs.next() || !runId.equals(rs.getString(1))) {
                    throw new SQLException("run " + runId + " lost the timeline lease before its commit");
                }
            }
        }
    }

    @Override
    public void close() {
        if (renewer != null) {
            renewer.shutdownNow();
        }
        try (Connection c = warehouse.connect(); PreparedStatement up = c.prepareStatement("UPDATE "
                + warehouse.ddl().qualified(WarehouseTables.LEASE)
                + " SET holder_run_id = NULL, holder_process_type = NULL, acquired_at = NULL, expires_at = NULL"
                + " WHERE lease_name = ? AND holder_run_id = ?")) {
            up.setString(1, NAME);
            up.setString(2, runId);
            up.executeUpdate();
        } catch (SQLException e) {
            LOG.warn("lease: release failed ({}); it lapses after {} s", e.getMessage(), ttl.toSeconds());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the timeline lease", e);
        }
    }
}
