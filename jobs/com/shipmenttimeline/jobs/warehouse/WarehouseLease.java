package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.schemas.LedgerSql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
    /** The one lease row's name. */
    public static final String NAME = "timeline";

    private final Warehouse warehouse;
    private final String runId;
    private final Duration ttl;
    private final Clock clock;
    private final LedgerSql sql;
    private ScheduledExecutorService renewer;

    private WarehouseLease(Warehouse warehouse, String runId, Duration ttl, Clock clock) {
        this.warehouse = warehouse;
        this.runId = runId;
        this.ttl = ttl;
        this.clock = clock;
        this.sql = new LedgerSql(warehouse.ddl());
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
        try {
            return warehouse.retry().call("take the timeline lease", () -> takeOnce(processType));
        } catch (SQLException e) {
            throw new WarehouseException("cannot take the timeline lease", e);
        }
    }

    /** One try, safe to repeat: a try whose answer was lost left this run the holder, which the next try sees. */
    private String takeOnce(String processType) throws SQLException {
        Instant now = clock.instant();
        try (Connection c = warehouse.connect()) {
            c.setAutoCommit(true);
            try {
                Sql.update(c, sql.createLease(), Map.of("lease_name", NAME));
            } catch (SQLException raced) {
                // Another run inserted the row at the same moment: fine, it exists now.
            }
            if (Sql.update(c, sql.takeLease(), Map.of("run_id", runId, "process_type", processType, "now", now, "expires_at", now.plus(ttl),
                    "lease_name", NAME)) == 1) {
                LOG.info("lease: run {} holds the timeline lease", runId);
                return null;
            }
            List<String[]> holder = Sql.rows(c, sql.leaseHolder(), Map.of("lease_name", NAME),
                    rs -> new String[] {rs.getString(1), rs.getString(2) + ", until " + rs.getTimestamp(3).toInstant()});
            if (!holder.isEmpty() && runId.equals(holder.get(0)[0])) {
                LOG.info("lease: run {} holds the timeline lease (taken by a try whose answer was lost)", runId);
                return null;
            }
            return holder.isEmpty() ? "unknown" : holder.get(0)[0] + " (" + holder.get(0)[1] + ")";
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
        try (Connection c = warehouse.connect()) {
            if (Sql.update(c, sql.renewLease(), Map.of("expires_at", clock.instant().plus(ttl), "lease_name", NAME, "run_id", runId)) != 1) {
                LOG.warn("lease: run {} no longer holds the timeline lease; its commit will be refused", runId);
            }
        } catch (SQLException e) {
            LOG.warn("lease: renewal failed: {}", e.getMessage());
        }
    }

    /** Inside the commit transaction: fails unless this run still holds the lease. */
    public void assertHeld(Connection c) throws SQLException {
        List<String> holder = Sql.rows(c, sql.leaseHolder(), Map.of("lease_name", NAME), rs -> rs.getString(1));
        if (holder.isEmpty() || !runId.equals(holder.get(0))) {
            throw new SQLException("run " + runId + " lost the timeline lease before its commit");
        }
    }

    @Override
    public void close() {
        if (renewer != null) {
            renewer.shutdownNow();
        }
        try (Connection c = warehouse.connect()) {
            Sql.update(c, sql.releaseLease(), Map.of("lease_name", NAME, "run_id", runId));
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
