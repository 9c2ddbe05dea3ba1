package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.source.RawFile;

import com.shipmenttimeline.schemas.SqlDialect;
import com.shipmenttimeline.schemas.TableColumn;
import com.shipmenttimeline.schemas.WarehouseDdl;
import com.shipmenttimeline.schemas.WarehouseSql;
import com.shipmenttimeline.schemas.WarehouseTables;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warehouse: PostgreSQL locally and in tests (Redshift in production). Spark loads staging
 * tables; our own SQL then moves rows into place in one transaction, so a run commits its rows and
 * its checkpoint together or commits nothing.
 */
public final class Warehouse implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Warehouse.class);

    private final String jdbcUrl;
    private final Properties connectionProperties;
    private final WarehouseDdl ddl;
    private final BulkTransfer transfer;
    private final AutoCloseable server;

    /**
     * Moves a DataFrame into a warehouse table and a query's rows back out: Spark's JDBC source on
     * PostgreSQL, the spark-redshift connector (through S3) on Redshift. Everything else, our own
     * SQL, goes through {@link #connect()} on both.
     */
    interface BulkTransfer {
        void append(Dataset<Row> rows, String qualifiedTable);

        Dataset<Row> read(SparkSession spark, String sql);
    }

    Warehouse(String jdbcUrl, Properties connectionProperties, WarehouseDdl ddl, BulkTransfer transfer, AutoCloseable server) {
        this.jdbcUrl = jdbcUrl;
        this.connectionProperties = connectionProperties;
        this.ddl = ddl;
        this.transfer = transfer;
        this.server = server;
    }

    /** A PostgreSQL warehouse at this URL (the local default, the tests, or any server of yours). */
    public static Warehouse postgres(String jdbcUrl, String user, Optional<String> password, String schema, int batchSize, AutoCloseable server) {
        return postgres(jdbcUrl, user, password, new WarehouseDdl(SqlDialect.POSTGRES, schema), batchSize, server);
    }

    static Warehouse postgres(String jdbcUrl, String user, Optional<String> password, WarehouseDdl ddl, int batchSize, AutoCloseable server) {
        Properties p = new Properties();
        if (!user.isEmpty()) {
            p.setProperty("user", user);
        }
        password.ifPresent(pw -> p.setProperty("password", pw));
        return new Warehouse(jdbcUrl, p, ddl, new JdbcTransfer(jdbcUrl, p, batchSize), server);
    }

    /** Opens the configured warehouse for a job, starting the embedded server when that is the kind. */
    public static Warehouse open(Settings.WarehouseSettings s) {
        if (s.kind() == Settings.WarehouseKind.REDSHIFT && !RedshiftConnector.available()) {
            throw new UsageException("warehouse.kind = redshift needs the spark-redshift connector (" + RedshiftConnector.DATA_SOURCE
                    + "); on EMR add --jars with /usr/share/aws/redshift/spark-redshift/lib/spark-redshift.jar (see emr/README.md)");
        }
        return openForSql(s);
    }

    /** Opens the configured warehouse for SQL alone (query and monitor modes): no connector needed. */
    public static Warehouse openForSql(Settings.WarehouseSettings s) {
        return switch (s.kind()) {
            case EMBEDDED -> {
                EmbeddedWarehouseServer server = EmbeddedWarehouseServer.start(s.embeddedDataDir(), s.embeddedPort());
                yield postgres(server.jdbcUrl(), "postgres", Optional.empty(), new WarehouseDdl(SqlDialect.POSTGRES, s.schema(),
                        s.materializedView()), s.batchSize(), server);
            }
            case POSTGRES -> postgres(s.jdbcUrl(), s.user(), s.password(), new WarehouseDdl(SqlDialect.POSTGRES, s.schema(), s.materializedView()),
                    s.batchSize(), null);
            case REDSHIFT -> {
                RedshiftConnector.loadDriver();
                RedshiftConnector connector = new RedshiftConnector(s);
                yield new Warehouse(connector.jdbcUrl(), connector.connectionProperties(), new WarehouseDdl(SqlDialect.REDSHIFT, s.schema(), s.materializedView()),
                        new ConnectorTransfer(connector), null);
            }
        };
    }

    public WarehouseDdl ddl() {
        return ddl;
    }

    public String describe() {
        return Settings.redactUrl(jdbcUrl) + " schema " + ddl.schema();
    }

    public Connection connect() throws SQLException {
        Properties p = new Properties();
        p.putAll(connectionProperties);
        return DriverManager.getConnection(jdbcUrl, p);
    }

    /** Creates every missing object of the contract; changes nothing that exists. */
    public void ensureObjects() {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + ddl.schema());
            DatabaseMetaData meta = c.getMetaData();
            for (WarehouseDdl.DdlObject o : ddl.objects()) {
                if (exists(meta, o.name())) {
                    addMissingColumns(meta, st, o);
                    continue;
                }
                for (String sql : o.statements()) {
                    st.execute(sql);
                }
                LOG.info("warehouse: created {}", ddl.qualified(o.name()));
            }
        } catch (SQLException e) {
            throw new WarehouseException("cannot create the warehouse objects in " + describe(), e);
        }
    }

    /** A table made by an older version gains the columns added since (never dropped or changed). */
    private void addMissingColumns(DatabaseMetaData meta, Statement st, WarehouseDdl.DdlObject o) throws SQLException {
        if (o.columns().isEmpty()) {
            return;
        }
        java.util.Set<String> present = new java.util.HashSet<>();
        try (ResultSet rs = meta.getColumns(null, ddl.schema(), o.name(), null)) {
            while (rs.next()) {
                present.add(rs.getString("COLUMN_NAME").toLowerCase(java.util.Locale.ROOT));
            }
        }
        for (TableColumn col : o.columns()) {
            if (!present.contains(col.name())) {
                st.execute(ddl.addColumn(o.name(), col));
                LOG.info("warehouse: added column {} to {}", col.name(), ddl.qualified(o.name()));
            }
        }
    }

    /**
     * Missing events: late events (stored by incremental runs) that the timeline does not hold yet;
     * the next base run takes them in from the raw files. Runs on the caller's connection, so inside
     * a transaction it counts that transaction's own rows.
     */
    public long missingEvents(Connection c) throws SQLException {
        String sql = "SELECT count(*) FROM " + ddl.qualified(WarehouseTables.LATE_EVENTS) + " l WHERE NOT EXISTS (SELECT 1 FROM "
                + ddl.qualified(WarehouseTables.BASE) + " b WHERE b.event_id = l.event_id) AND NOT EXISTS (SELECT 1 FROM "
                + ddl.qualified(WarehouseTables.INCREMENTAL) + " i WHERE i.event_id = l.event_id)";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private boolean exists(DatabaseMetaData meta, String name) throws SQLException {
        try (ResultSet rs = meta.getTables(null, ddl.schema(), name, null)) {
            return rs.next();
        }
    }

    /** The checkpoint: the latest event_timestamp taken into the timeline, if any. */
    public Optional<Instant> checkpoint() {
        try (Connection c = connect()) {
            return checkpoint(c);
        } catch (SQLException e) {
            throw new WarehouseException("cannot read the checkpoint", e);
        }
    }

    public Optional<Instant> checkpoint(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT last_processed_timestamp FROM "
                + ddl.qualified(WarehouseTables.CHECKPOINTS) + " WHERE checkpoint_id = ?")) {
            ps.setString(1, WarehouseTables.CHECKPOINT_ID);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getTimestamp(1) != null) {
                    return Optional.of(rs.getTimestamp(1).toInstant());
                }
                return Optional.empty();
            }
        }
    }

    /** Sets the checkpoint inside the caller's transaction. */
    public void setCheckpoint(Connection c, Instant value, String processType, String runId, Instant now) throws SQLException {
        String table = ddl.qualified(WarehouseTables.CHECKPOINTS);
        try (PreparedStatement up = c.prepareStatement("UPDATE " + table
                + " SET last_processed_timestamp = ?, last_update_time = ?, process_type = ?, status = 'committed', last_run_id = ?"
                + " WHERE checkpoint_id = ?")) {
            up.setTimestamp(1, value == null ? null : Timestamp.from(value));
            up.setTimestamp(2, Timestamp.from(now));
            up.setString(3, processType);
            up.setString(4, runId);
            up.setString(5, WarehouseTables.CHECKPOINT_ID);
            if (up.executeUpdate() == 1) {
                return;
            }
        }
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + table
                + " (checkpoint_id, last_processed_timestamp, last_update_time, process_type, status, last_run_id)"
                + " VALUES (?, ?, ?, ?, 'committed', ?)")) {
            ins.setString(1, WarehouseTables.CHECKPOINT_ID);
            ins.setTimestamp(2, value == null ? null : Timestamp.from(value));
            ins.setTimestamp(3, Timestamp.from(now));
            ins.setString(4, processType);
            ins.setString(5, runId);
            ins.executeUpdate();
        }
    }

    /** Records, inside the caller's transaction, the files a run read (the first reader of each is kept). */
    public void recordFiles(Connection c, java.util.Collection<String> paths, String runId, String processType, Instant at) throws SQLException {
        String table = ddl.qualified(WarehouseTables.PROCESSED_FILES);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (path, run_id, process_type, recorded_at)"
                + " SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM " + table + " WHERE path = ?)")) {
            for (String p : paths) {
                String canonical = RawFile.canonical(p);
                ps.setString(1, canonical);
                ps.setString(2, runId);
                ps.setString(3, processType);
                ps.setTimestamp(4, Timestamp.from(at));
                ps.setString(5, canonical);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Which of these files a committed run has read already. */
    public java.util.Set<String> readBefore(java.util.Collection<String> paths) {
        java.util.List<String> all = paths.stream().map(RawFile::canonical).distinct().toList();
        java.util.Set<String> seen = new java.util.HashSet<>();
        try (Connection c = connect()) {
            for (int from = 0; from < all.size(); from += 500) {
                java.util.List<String> chunk = all.subList(from, Math.min(all.size(), from + 500));
                String marks = String.join(", ", java.util.Collections.nCopies(chunk.size(), "?"));
                try (PreparedStatement ps = c.prepareStatement("SELECT path FROM " + ddl.qualified(WarehouseTables.PROCESSED_FILES)
                        + " WHERE path IN (" + marks + ")")) {
                    for (int i = 0; i < chunk.size(); i++) {
                        ps.setString(i + 1, chunk.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            seen.add(rs.getString(1));
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new WarehouseException("cannot read processed_files", e);
        }
        return seen;
    }

    /** Creates (or re-creates) a staging table with the given columns and loads the rows into it. */
    public void stage(Dataset<Row> rows, String table, java.util.List<TableColumn> columns) {
        stage(rows, table, columns, -1);
    }

    /** As {@link #stage(Dataset, String, java.util.List)}; with {@code knownRows} 0 the table is created empty, no Spark job run. */
    public void stage(Dataset<Row> rows, String table, java.util.List<TableColumn> columns, long knownRows) {
        execute("DROP TABLE IF EXISTS " + ddl.qualified(table));
        execute(ddl.createStagingTable(table, columns));
        if (knownRows == 0) {
            return;
        }
        transfer.append(rows.select(columns.stream().map(c -> org.apache.spark.sql.functions.col(c.name()))
                .toArray(org.apache.spark.sql.Column[]::new)), ddl.qualified(table));
        // Fresh statistics, so that the planner joins a small staged key set through the indexes.
        execute("ANALYZE " + ddl.qualified(table));
    }

    /** The rows of a query, as a DataFrame. */
    public Dataset<Row> query(SparkSession spark, String sql) {
        return transfer.read(spark, sql);
    }

    /**
     * PostgreSQL: each Spark partition streams its rows into the table with {@code COPY ... FROM
     * STDIN (FORMAT csv)} on a connection of its own (several times faster than batched INSERTs);
     * reads use Spark's JDBC source.
     */
    static final class JdbcTransfer implements BulkTransfer {
        private final String url;
        private final Properties credentials;
        private final int batchSize;

        JdbcTransfer(String url, Properties credentials, int batchSize) {
            this.url = url;
            this.credentials = credentials;
            this.batchSize = batchSize;
        }

        @Override
        public void append(Dataset<Row> rows, String qualifiedTable) {
            String copy = "COPY " + qualifiedTable + " (" + String.join(", ", rows.columns()) + ") FROM STDIN WITH (FORMAT csv)";
            String jdbcUrl = url;
            Properties props = new Properties();
            props.putAll(credentials);
            rows.foreachPartition((org.apache.spark.api.java.function.ForeachPartitionFunction<Row>) it -> PgCopy.copy(jdbcUrl, props, copy, it));
        }

        @Override
        public Dataset<Row> read(SparkSession spark, String sql) {
            java.util.Map<String, String> o = new java.util.HashMap<>();
            o.put("url", url);
            o.put("driver", "org.postgresql.Driver");
            o.put("fetchsize", Integer.toString(batchSize));
            credentials.stringPropertyNames().forEach(k -> o.put(k, credentials.getProperty(k)));
            o.put("query", sql);
            return spark.read().format("jdbc").options(o).load();
        }
    }

    /**
     * Redshift: the spark-redshift connector, by its data source name. Always Append into a staging
     * table we created: never Overwrite (it drops the table), never pre- or post-actions.
     */
    static final class ConnectorTransfer implements BulkTransfer {
        private final RedshiftConnector connector;

        ConnectorTransfer(RedshiftConnector connector) {
            this.connector = connector;
        }

        @Override
        public void append(Dataset<Row> rows, String qualifiedTable) {
            rows.write().format(RedshiftConnector.DATA_SOURCE).options(connector.writeOptions(qualifiedTable)).mode(SaveMode.Append).save();
        }

        @Override
        public Dataset<Row> read(SparkSession spark, String sql) {
            return spark.read().format(RedshiftConnector.DATA_SOURCE).options(connector.readOptions(sql)).load();
        }
    }

    /**
     * Drops the staging tables of runs that died before they could: called by a run that holds the
     * lease, so no live run owns any of them.
     */
    public void dropLeftoverStaging() {
        java.util.List<String> leftovers = new java.util.ArrayList<>();
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getTables(null, ddl.schema(), "stg\\_%", new String[] {"TABLE"})) {
            while (rs.next()) {
                leftovers.add(rs.getString("TABLE_NAME"));
            }
        } catch (SQLException e) {
            throw new WarehouseException("cannot list staging tables", e);
        }
        if (!leftovers.isEmpty()) {
            LOG.info("warehouse: dropping {} staging tables left by interrupted runs", leftovers.size());
            dropTables(leftovers.toArray(String[]::new));
        }
    }

    public void dropTables(String... tables) {
        for (String t : tables) {
            try {
                execute("DROP TABLE IF EXISTS " + ddl.qualified(t));
            } catch (WarehouseException e) {
                LOG.warn("warehouse: could not drop staging table {}: {}", t, e.getMessage());
            }
        }
    }

    public void execute(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new WarehouseException("warehouse statement failed: " + firstWords(sql), e);
        }
    }

    /** Runs one rendered statement on the caller's connection, binding its named parameters; returns the update count. */
    public static int run(Connection c, WarehouseSql.Statement st, java.util.Map<String, Object> values) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(st.sql())) {
            for (int i = 0; i < st.parameters().size(); i++) {
                String name = st.parameters().get(i);
                if (!values.containsKey(name)) {
                    throw new IllegalArgumentException("no value for parameter " + name + " of: " + firstWords(st.sql()));
                }
                ps.setObject(i + 1, values.get(name));
            }
            return ps.executeUpdate();
        }
    }

    /** Work inside one transaction. */
    @FunctionalInterface
    public interface TransactionWork<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs a run's commit transaction, which must insert the run's {@code processing_runs} row with
     * status succeeded. When the transaction fails, the outcome can be unknown: a connection that
     * drops while COMMIT is on the wire may have committed. The row decides: it is looked up on a new
     * connection, and if it is there the transaction did commit and {@code ifCommitted} gives the
     * result; if not, nothing of it was committed and the failure stands.
     */
    public <T> T commitRun(String runId, TransactionWork<T> work, java.util.function.Supplier<T> ifCommitted) {
        try {
            return inTransaction(work);
        } catch (WarehouseException failure) {
            boolean committed;
            try {
                committed = runSucceeded(runId);
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

    /** Whether {@code processing_runs} holds a succeeded row for this run id. */
    public boolean runSucceeded(String runId) {
        try (Connection c = connect()) {
            return runSucceeded(c, runId);
        } catch (SQLException e) {
            throw new WarehouseException("cannot read " + WarehouseTables.RUNS, e);
        }
    }

    public boolean runSucceeded(Connection c, String runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + ddl().qualified(WarehouseTables.RUNS)
                + " WHERE run_id = ? AND status = ?")) {
            ps.setString(1, runId);
            ps.setString(2, RunRecord.SUCCEEDED);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Runs the work in one transaction: it commits whole or rolls back whole. */
    public <T> T inTransaction(TransactionWork<T> work) {
        try (Connection c = connect()) {
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
     * Refreshes the realtime view; it sees only committed rows, so this runs after the commit. The
     * checkpoint row's status then moves from {@code committed} to {@code refreshed}, so that a run
     * killed between its commit and its refresh is made good by the next run ({@link #refreshPending}).
     */
    public void refreshRealtimeView() {
        new WarehouseSql(ddl).refresh().ifPresent(st -> execute(st.sql()));
        execute("UPDATE " + ddl.qualified(WarehouseTables.CHECKPOINTS) + " SET status = 'refreshed' WHERE checkpoint_id = '"
                + WarehouseTables.CHECKPOINT_ID + "' AND status = 'committed'");
    }

    /** Drops the realtime view, whichever kind it is now (a materialized or a plain view). */
    public void dropRealtimeView() {
        String kind = null;
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getTables(null, ddl.schema(), WarehouseTables.REALTIME_VIEW, null)) {
            if (rs.next()) {
                kind = rs.getString("TABLE_TYPE");
            }
        } catch (SQLException e) {
            throw new WarehouseException("cannot look up the realtime view", e);
        }
        if (kind != null) {
            execute((kind.toUpperCase(java.util.Locale.ROOT).contains("MATERIALIZED") ? "DROP MATERIALIZED VIEW " : "DROP VIEW ")
                    + ddl.qualified(WarehouseTables.REALTIME_VIEW));
        }
    }

    /** True when a commit has not been followed by a view refresh yet. */
    public boolean refreshPending() {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT status FROM "
                + ddl.qualified(WarehouseTables.CHECKPOINTS) + " WHERE checkpoint_id = ?")) {
            ps.setString(1, WarehouseTables.CHECKPOINT_ID);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && "committed".equals(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new WarehouseException("cannot read the checkpoint", e);
        }
    }

    private static String firstWords(String sql) {
        String one = sql.replaceAll("\\s+", " ");
        return one.length() > 80 ? one.substring(0, 80) + "…" : one;
    }

    @Override
    public void close() {
        if (server != null) {
            try {
                server.close();
            } catch (Exception e) {
                LOG.warn("warehouse: close failed: {}", e.getMessage());
            }
        }
    }
}
