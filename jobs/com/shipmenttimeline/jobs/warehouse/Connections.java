package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.jobs.config.Settings;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Deque;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** Where the warehouse is and how a connection to it is opened: one URL and its driver properties; connections are kept for reuse. */
public final class Connections {
    private final String jdbcUrl;
    private final Properties properties;
    private final Retry retry;

    Connections(String jdbcUrl, Properties properties, Retry retry) {
        this.jdbcUrl = jdbcUrl;
        this.properties = properties;
        this.retry = retry;
    }

    /** PostgreSQL with a user and, when given, a password (never logged). */
    static Connections postgres(String jdbcUrl, String user, java.util.Optional<String> password, Retry retry) {
        Properties p = new Properties();
        if (!user.isEmpty()) {
            p.setProperty("user", user);
        }
        password.ifPresent(pw -> p.setProperty("password", pw));
        return new Connections(jdbcUrl, p, retry);
    }

    private final AtomicLong made = new AtomicLong();
    /** Idle connections kept for the next {@link #open}, newest first. */
    private final Deque<Connection> idle = new ConcurrentLinkedDeque<>();
    /** How many idle connections are kept: a run uses one at a time, and the lease's renewals a second. */
    static final int MAX_IDLE = 2;
    /** How long {@link Connection#isValid} may take to say a kept connection still works. */
    private static final int VALIDATION_SECONDS = 5;

    /**
     * A connection, to be closed by the caller. Closing it hands it back to be used again (rolled
     * back to a clean state first, and only while it still works); the next call takes it if a
     * round trip shows it alive, and otherwise opens a new one. Opening is the expensive part: a
     * new backend, authentication, on Redshift TLS as well, and a batch runs about a dozen
     * statements on connections of their own. A connection that cannot be made for a transient
     * reason is tried again ({@link Retry}).
     */
    public Connection open() throws SQLException {
        for (Connection kept = idle.pollFirst(); kept != null; kept = idle.pollFirst()) {
            if (alive(kept)) {
                return lent(kept);
            }
            closeQuietly(kept);
        }
        Connection fresh = retry.call("connect", () -> DriverManager.getConnection(jdbcUrl, copy()));
        made.incrementAndGet();
        return lent(fresh);
    }

    /** How many connections {@link #open} has made (not taken from the kept ones) so far. */
    long made() {
        return made.get();
    }

    /** Closes the connections kept for reuse (when the run's warehouse closes). */
    public void closeIdle() {
        for (Connection c = idle.pollFirst(); c != null; c = idle.pollFirst()) {
            closeQuietly(c);
        }
    }

    /** How many connections are kept for reuse now (for tests). */
    int idleCount() {
        return idle.size();
    }

    private static boolean alive(Connection c) {
        try {
            return !c.isClosed() && c.isValid(VALIDATION_SECONDS);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Takes a connection back: rolled back to auto-commit, or closed when it failed or enough are kept. */
    private void giveBack(Connection c) {
        try {
            if (c.isClosed()) {
                return;
            }
            if (!c.getAutoCommit()) {
                c.rollback();
                c.setAutoCommit(true);
            }
            c.clearWarnings();
        } catch (SQLException e) {
            closeQuietly(c);
            return;
        }
        idle.addFirst(c);
        while (idle.size() > MAX_IDLE) {
            Connection oldest = idle.pollLast();
            if (oldest != null) {
                closeQuietly(oldest);
            }
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // a connection that fails to close is gone either way
        }
    }

    /** The connection as the caller sees it: {@code close()} gives it back, and it cannot be used after. */
    private Connection lent(Connection physical) {
        AtomicBoolean closed = new AtomicBoolean();
        InvocationHandler handler = (proxy, method, args) -> {
            switch (method.getName()) {
                case "close":
                    if (closed.compareAndSet(false, true)) {
                        giveBack(physical);
                    }
                    return null;
                case "isClosed":
                    return closed.get() || physical.isClosed();
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "toString":
                    return "warehouse connection";
                default:
                    if (closed.get()) {
                        throw new SQLException("the connection was closed", "08003");
                    }
                    try {
                        return method.invoke(physical, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
            }
        };
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, handler);
    }

    Retry retry() {
        return retry;
    }

    String url() {
        return jdbcUrl;
    }

    /** A copy of the driver properties (credentials included), for the bulk loads' own connections. */
    Properties copy() {
        Properties p = new Properties();
        p.putAll(properties);
        return p;
    }

    /** The URL fit for a log line. */
    String redacted() {
        return Settings.redactUrl(jdbcUrl);
    }
}
