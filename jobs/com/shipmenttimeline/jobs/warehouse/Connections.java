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

    Connections(String jdbcUrl, Properties properties) {
        this.jdbcUrl = jdbcUrl;
        this.properties = properties;
    }

    /** PostgreSQL with a user and, when given, a password (never logged). */
    static Connections postgres(String jdbcUrl, String user, java.util.Optional<String> password) {
        Properties p = new Properties();
        if (!user.isEmpty()) {
            p.setProperty("user", user);
        }
        password.ifPresent(pw -> p.setProperty("password", pw));
        return new Connections(jdbcUrl, p);
    }

    public Connection open() throws SQLException {
        return DriverManager.getConnection(jdbcUrl, copy());
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
