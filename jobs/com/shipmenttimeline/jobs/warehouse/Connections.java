package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.jobs.config.Settings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Where the warehouse is and how a connection to it is opened: one URL and its driver properties. */
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

    /** A new connection; one that cannot be made for a transient reason is tried again ({@link Retry}). */
    public Connection open() throws SQLException {
        return retry.call("connect", () -> DriverManager.getConnection(jdbcUrl, copy()));
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
