package com.shipmenttimeline.jobs.warehouse;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.Properties;
import org.apache.spark.sql.Row;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Streams rows into PostgreSQL with {@code COPY ... FROM STDIN (FORMAT csv)}: strings always
 * quoted (so an empty string stays distinct from NULL, which is an unquoted empty field),
 * timestamps as UTC wall time with microseconds (the columns are {@code TIMESTAMP} without zone,
 * holding UTC), numbers and booleans as text. One COPY per task attempt, in a transaction that claims its partition first: it loads all of it or nothing, and once.
 */
final class PgCopy {
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);
    private static final int FLUSH_BYTES = 1 << 20;

    private PgCopy() {}

    /**
     * One task attempt's COPY, in one transaction that first claims {@code partition} with {@code claimSql}
     * (an INSERT that adds no row when the partition is claimed already): when an earlier attempt of the
     * same partition committed, nothing is loaded and -1 is returned. A concurrent attempt waits on the
     * claim's key until the other commits or rolls back.
     */
    static long copyOnce(String url, Properties props, String claimSql, int partition, String copySql, Iterator<Row> rows) throws SQLException {
        if (!rows.hasNext()) {
            return 0;
        }
        try (Connection c = DriverManager.getConnection(url, props)) {
            c.setAutoCommit(false);
            try (java.sql.PreparedStatement claim = c.prepareStatement(claimSql)) {
                claim.setInt(1, partition);
                if (claim.executeUpdate() == 0) {
                    c.rollback();
                    return -1;
                }
            }
            long n = copyOn(c, copySql, rows);
            c.commit();
            return n;
        }
    }

    private static long copyOn(Connection c, String copySql, Iterator<Row> rows) throws SQLException {
        CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
        try {
            StringBuilder buf = new StringBuilder(FLUSH_BYTES + 4096);
            while (rows.hasNext()) {
                line(rows.next(), buf);
                if (buf.length() >= FLUSH_BYTES) {
                    byte[] b = buf.toString().getBytes(StandardCharsets.UTF_8);
                    in.writeToCopy(b, 0, b.length);
                    buf.setLength(0);
                }
            }
            byte[] b = buf.toString().getBytes(StandardCharsets.UTF_8);
            in.writeToCopy(b, 0, b.length);
            return in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    /** One CSV line, appended to {@code out}. */
    static void line(Row row, StringBuilder out) {
        for (int i = 0; i < row.length(); i++) {
            if (i > 0) {
                out.append(',');
            }
            Object v = row.get(i);
            if (v == null) {
                continue;
            }
            if (v instanceof String s) {
                out.append('"');
                for (int j = 0; j < s.length(); j++) {
                    char ch = s.charAt(j);
                    if (ch == '"') {
                        out.append('"');
                    }
                    out.append(ch);
                }
                out.append('"');
            } else if (v instanceof Timestamp t) {
                out.append(TS.format(t.toInstant()));
            } else if (v instanceof java.time.Instant t) {
                out.append(TS.format(t));
            } else {
                out.append(v);
            }
        }
        out.append('\n');
    }
}
