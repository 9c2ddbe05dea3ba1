package com.shipmenttimeline.jobs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.jobs.run.FailureAudit;
import com.shipmenttimeline.testing.TestWarehouse;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * A failed run's error goes to processing_runs.error_message, which dashboards and on-call read:
 * the warehouse's own errors quote the row they failed on, and that content stays out. Each case
 * is a real error of the PostgreSQL server the tests run (the row's value is SECRET-VALUE).
 */
class StoredErrorMessagesTest {
    private static final String VALUE = "SECRET-VALUE";

    private static SQLException errorOf(String... statements) throws SQLException {
        String schema = TestWarehouse.freshSchema();
        try (Connection c = DriverManager.getConnection(TestWarehouse.jdbcUrl()); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
            st.execute("CREATE TABLE " + schema + ".t (id TEXT PRIMARY KEY, status TEXT NOT NULL, n INT)");
            st.execute("INSERT INTO " + schema + ".t VALUES ('" + VALUE + "', 'A', 1)");
            return assertThrows(SQLException.class, () -> {
                for (String s : statements) {
                    if (s.startsWith("COPY ")) {
                        c.unwrap(PGConnection.class).getCopyAPI().copyIn(s.replace("%s", schema).split("\n")[0],
                                new StringReader(s.substring(s.indexOf('\n') + 1)));
                    } else {
                        st.execute(s.replace("%s", schema));
                    }
                }
            });
        }
    }

    private static void assertNoRowContent(SQLException e) {
        assertTrue(e.getMessage().contains(VALUE), "the server's own message quotes the row: " + e.getMessage());
        String stored = FailureAudit.storable(new IllegalStateException("commit failed: " + e.getMessage(), e));
        assertFalse(stored.contains(VALUE), stored);
        assertTrue(stored.contains("(row content not stored)") && !stored.contains("\n"), stored);
    }

    @Test
    void aKeyViolationKeepsTheKeyColumnNotItsValue() throws SQLException {
        assertNoRowContent(errorOf("INSERT INTO %s.t VALUES ('" + VALUE + "', 'B', 2)"));
    }

    @Test
    void aNotNullViolationKeepsNotTheFailingRow() throws SQLException {
        assertNoRowContent(errorOf("INSERT INTO %s.t VALUES ('" + VALUE + "x', NULL, 4)"));
        assertNoRowContent(errorOf("UPDATE %s.t SET status = NULL"));
    }

    @Test
    void aCopyErrorKeepsTheLineNumberNotTheLine() throws SQLException {
        assertNoRowContent(errorOf("COPY %s.t FROM STDIN (FORMAT csv)\n\"x\",\"A\"," + VALUE + "\n"));
        assertNoRowContent(errorOf("COPY %s.t FROM STDIN (FORMAT csv)\n\"x\",\"A\",1,\"" + VALUE + "\"\n"));
    }
}
