package com.shipmenttimeline.jobs.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.TestWarehouse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Connections kept for reuse, against the test PostgreSQL: reused, cleaned, dropped when dead, bounded. */
class ConnectionsTest {
    private final Connections connections = Connections.postgres(TestWarehouse.jdbcUrl(), "", Optional.empty(), Retry.DEFAULT);

    @AfterEach
    void close() {
        connections.closeIdle();
    }

    private static int backend(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void aClosedConnectionIsUsedAgainByTheNextOpen() throws SQLException {
        int first;
        try (Connection c = connections.open()) {
            first = backend(c);
        }
        assertEquals(1, connections.idleCount());
        try (Connection c = connections.open()) {
            assertEquals(first, backend(c), "the same server backend: no new connection was made");
        }
    }

    @Test
    void aConnectionGivenBackInATransactionIsRolledBackAndInAutoCommitAgain() throws SQLException {
        String table = "conn_test_" + Long.toHexString(System.nanoTime());
        try (Connection c = connections.open()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE " + table + " (x int)");
            }
        }
        try (Connection c = connections.open()) {
            assertTrue(c.getAutoCommit());
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_tables WHERE tablename = '" + table + "'")) {
                rs.next();
                assertEquals(0, rs.getInt(1), "the uncommitted table was rolled back");
            }
        }
    }

    @Test
    void aKeptConnectionThatDiedIsReplacedByANewOne() throws SQLException {
        int first;
        try (Connection c = connections.open()) {
            first = backend(c);
        }
        TestWarehouse.execute("SELECT pg_terminate_backend(" + first + ")");
        try (Connection c = connections.open()) {
            assertNotEquals(first, backend(c), "a new connection replaced the dead one");
        }
    }

    @Test
    void aLentConnectionCannotBeUsedAfterItIsClosed() throws SQLException {
        Connection c = connections.open();
        c.close();
        c.close(); // twice is harmless
        assertTrue(c.isClosed());
        SQLException e = assertThrows(SQLException.class, c::createStatement);
        assertEquals("08003", e.getSQLState());
        try (Connection again = connections.open()) {
            assertFalse(again.isClosed(), "the physical connection was handed out again");
        }
    }

    @Test
    void atMostTwoAreKept() throws SQLException {
        Connection a = connections.open();
        Connection b = connections.open();
        Connection c = connections.open();
        a.close();
        b.close();
        c.close();
        assertEquals(Connections.MAX_IDLE, connections.idleCount());
        connections.closeIdle();
        assertEquals(0, connections.idleCount());
    }
}
