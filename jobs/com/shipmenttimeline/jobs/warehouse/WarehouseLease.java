package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.schemas.LedgerSql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serialises the runs that write the timeline: one row in {@code timeline_lease} names the holder
 * and when its hold expires, both by the warehouse's own clock (no host's clock is read, so skew
 * between hosts cannot matter). The holder renews it while it works; a crashed or stalled holder's
 * lease lapses after the TTL and another run may take it. The lease is fenced (contract section 5,
 * "Failure"): the commit's first statement renews it only if this run still holds it unlapsed
 * ({@link #fence(Connection)}: one row, or the run fails and commits nothing), and so does the check
 * before every lake write and restore ({@link #check}), so a run that lost the lease changes nothing
 * in the warehouse or the lake from then on.
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
        return acquire(warehouse, runId, processType, ttl, wait, Optional.empty(), clock);
    }

    /** How often a run that waits for the lease says so in the log. */
    static final Duration PROGRESS_EVERY = Duration.ofSeconds(30);

    /**
     * Takes the lease. A holder of another kind is waited for up to {@code wait}, then
     * {@link WarehouseBusyException}; with {@code waitForBase} (an incremental run), a base run's hold
     * is waited for up to that long instead, then {@link BaseRunHoldsLeaseException}: the caller ends
     * successfully and leaves its work for the next run. Progress goes to the log every 30 s.
     */
    public static WarehouseLease acquire(Warehouse warehouse, String runId, String processType, Duration ttl, Duration wait,
            Optional<Duration> waitForBase, Clock clock) {
        WarehouseLease lease = new WarehouseLease(warehouse, runId, ttl, clock);
        Instant start = clock.instant();
        Instant nextProgress = start;
        while (true) {
            Holder holder = lease.tryAcquire(processType);
            if (holder == null) {
                lease.startRenewing();
                return lease;
            }
            Instant now = clock.instant();
            boolean base = waitForBase.isPresent() && holder.isBaseRun();
            Duration limit = base ? waitForBase.get() : wait;
            Duration waited = Duration.between(start, now);
            if (waited.compareTo(limit) >= 0) {
                if (base) {
                    throw new BaseRunHoldsLeaseException(holder.runId(), waited);
                }
                throw new WarehouseBusyException("the warehouse is busy: run " + holder
                        + " holds the timeline lease; waited " + wait.toSeconds() + " s. Try again when it ends (a crashed run's lease lapses after "
                        + ttl.toSeconds() + " s)");
            }
            if (!now.isBefore(nextProgress)) {
                LOG.info("lease: run {} holds the timeline lease; waited {} s of {} s{}", holder,
                        waited.toSeconds(), limit.toSeconds(), base ? ", then the new files are left for the next trigger" : "");
                nextProgress = now.plus(PROGRESS_EVERY);
            }
            sleep(Math.min(2000, Math.max(50, Duration.between(now, start.plus(limit)).toMillis())));
        }
    }

    /** Who holds the lease: its run, its kind, until when (by the warehouse's clock). */
    record Holder(String runId, String processType, String until) {
        boolean isBaseRun() {
            return "daily_base".equals(processType) || "backfill".equals(processType);
        }

        @Override
        public String toString() {
            return runId + " (" + processType + ", until " + until + ")";
        }
    }

    /** @return null when acquired, else the current holder */
    private Holder tryAcquire(String processType) {
        try {
            return warehouse.retry().call("take the timeline lease", () -> takeOnce(processType));
        } catch (SQLException e) {
            throw new WarehouseException("cannot take the timeline lease", e);
        }
    }

    /** One try, safe to repeat: a try whose answer was lost left this run the holder, which the next try sees. */
    private Holder takeOnce(String processType) throws SQLException {
        try (Connection c = warehouse.connect()) {
            c.setAutoCommit(true);
            try {
                Sql.update(c, sql.createLease(), Map.of("lease_name", NAME));
            } catch (SQLException raced) {
                // Another run inserted the row at the same moment: fine, it exists now.
            }
            if (Sql.update(c, sql.takeLease(), Map.of("run_id", runId, "process_type", processType, "ttl_ms", ttl.toMillis(),
                    "lease_name", NAME)) == 1) {
                LOG.info("lease: run {} holds the timeline lease", runId);
                return null;
            }
            List<Holder> holder = Sql.rows(c, sql.leaseHolder(), Map.of("lease_name", NAME),
                    rs -> new Holder(rs.getString(1), rs.getString(2), String.valueOf(rs.getTimestamp(3) == null ? null : rs.getTimestamp(3).toInstant())));
            if (!holder.isEmpty() && runId.equals(holder.get(0).runId())) {
                LOG.info("lease: run {} holds the timeline lease (taken by a try whose answer was lost)", runId);
                return null;
            }
            return holder.isEmpty() ? new Holder("unknown", "unknown", "unknown") : holder.get(0);
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
            if (!renewed(c)) {
                LOG.warn("lease: run {} no longer holds the timeline lease; it will commit and write nothing", runId);
            }
        } catch (SQLException e) {
            LOG.warn("lease: renewal failed: {}", e.getMessage());
        }
    }

    private boolean renewed(Connection c) throws SQLException {
        return Sql.update(c, sql.renewLease(), Map.of("ttl_ms", ttl.toMillis(), "lease_name", NAME, "run_id", runId)) == 1;
    }

    /**
     * The first statement of a commit transaction: renews the lease only if this run still holds it,
     * unlapsed by the warehouse's clock, and locks its row until the transaction ends; else fails.
     */
    public void fence(Connection c) throws SQLException {
        if (!renewed(c)) {
            throw new SQLException("run " + runId + " lost the timeline lease (it lapsed, or another run holds it) before its commit; it commits nothing");
        }
    }

    /**
     * Before a lake write or restore: renews the lease if this run still holds it, or fails the run so
     * that it writes nothing more ({@code what} names the write, for the error).
     */
    public void check(String what) {
        try (Connection c = warehouse.connect()) {
            c.setAutoCommit(true);
            if (!renewed(c)) {
                throw new WarehouseException("run " + runId + " lost the timeline lease (it lapsed, or another run holds it) before it would "
                        + what + "; it writes nothing more", null);
            }
        } catch (SQLException e) {
            throw new WarehouseException("cannot check the timeline lease before it would " + what, e);
        }
    }

    /** Stops renewing, as a stalled JVM would (a long GC pause, a slow COPY): for the tests of the fence. */
    public void stopRenewing() {
        if (renewer != null) {
            renewer.shutdownNow();
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
