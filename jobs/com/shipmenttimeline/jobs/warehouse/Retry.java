package com.shipmenttimeline.jobs.warehouse;

import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries warehouse work that failed for a transient reason, a connection that could not be made or
 * dropped (SQLSTATE class 08), with exponential backoff and a bound. Only work that is safe to repeat
 * goes through it: opening a connection, taking the lease. Never a commit, whose outcome the run's
 * audit row decides ({@link Transactions#commitRun}).
 *
 * @param attempts how many tries in all (1: no retry)
 * @param backoff the wait before the second try; each further wait doubles
 */
public record Retry(int attempts, Duration backoff) {
    private static final Logger LOG = LoggerFactory.getLogger(Retry.class);

    /** What a warehouse opened without settings (tests, tools) does. */
    public static final Retry DEFAULT = new Retry(3, Duration.ofSeconds(1));
    public static final Retry NONE = new Retry(1, Duration.ZERO);

    public Retry {
        if (attempts < 1 || backoff.isNegative()) {
            throw new IllegalArgumentException("attempts must be at least 1 and the backoff not negative");
        }
    }

    /** Work that may fail with a SQLException. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws SQLException;
    }

    /** True for a connection that could not be made or was lost: SQLSTATE class 08. */
    static boolean isTransient(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null && s.getSQLState().startsWith("08")) {
                return true;
            }
        }
        return false;
    }

    <T> T call(String what, Work<T> work) throws SQLException {
        long wait = backoff.toMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                return work.run();
            } catch (SQLException e) {
                if (attempt >= attempts || !isTransient(e)) {
                    throw e;
                }
                LOG.warn("warehouse: {} failed ({}: {}); try {} of {} in {} ms", what, e.getSQLState(), firstLine(e.getMessage()), attempt + 1,
                        attempts, wait);
                sleep(wait);
                wait *= 2;
            }
        }
    }

    private static String firstLine(String m) {
        return m == null ? "" : m.lines().findFirst().orElse("");
    }

    private static void sleep(long millis) throws SQLException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting to retry", "08000", e);
        }
    }
}
