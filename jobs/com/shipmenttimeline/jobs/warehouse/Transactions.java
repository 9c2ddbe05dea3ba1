package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.schemas.WarehouseSql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warehouse transactions: work that commits whole or rolls back whole, and a run's commit, whose
 * outcome is confirmed by the run's own audit row in the {@link Ledger} when the answer to COMMIT is lost.
 */
public final class Transactions {
    private static final Logger LOG = LoggerFactory.getLogger(Transactions.class);

    private final Connections connections;
    private final Ledger ledger;

    Transactions(Connections connections, Ledger ledger) {
        this.connections = connections;
        this.ledger = ledger;
    }

    /** Work inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs one rendered statement on the caller's connection, binding its named parameters; returns the update count. */
    public static int run(Connection c, WarehouseSql.Statement st, Map<String, ?> values) throws SQLException {
        return Sql.update(c, st, values);
    }

    /** Runs the work in one transaction: it commits whole or rolls back whole. */
    public <T> T inTransaction(Work<T> work) {
        try (Connection c = connections.open()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException rollbackFailure) {
                    e.addSuppressed(rollbackFailure);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new WarehouseException("warehouse transaction failed and was rolled back", e);
        }
    }

    /**
     * Runs a run's commit transaction, which must insert the run's {@code processing_runs} row with
     * status succeeded. When the transaction fails, the outcome can be unknown: a connection that
     * drops while COMMIT is on the wire may have committed. The row decides: it is looked up on another
     * connection (a dropped one is not kept for reuse), and if it is there the transaction did commit
     * and {@code ifCommitted} gives the result; if not, nothing of it was committed and the failure
     * stands.
     */
    public <T> T commitRun(String runId, Work<T> work, Supplier<T> ifCommitted) {
        try {
            return inTransaction(work);
        } catch (WarehouseException failure) {
            boolean committed;
            try {
                committed = ledger.runSucceeded(runId);
            } catch (WarehouseException probeFailure) {
                failure.addSuppressed(probeFailure);
                throw failure;
            }
            if (!committed) {
                throw failure;
            }
            LOG.warn("run {}: the commit reported a failure ({}), but the run's audit row is there: the transaction committed",
                    runId, Settings.oneLine(String.valueOf(failure.getCause() == null ? failure.getMessage() : failure.getCause().getMessage())));
            return ifCommitted.get();
        }
    }
}
