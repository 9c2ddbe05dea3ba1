package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.schemas.SqlDialect;
import com.shipmenttimeline.schemas.WarehouseDdl;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warehouse: PostgreSQL locally and in tests (Redshift in production), opened by kind, and its
 * parts, each with one purpose: {@link #objects()} (tables, view, migration), {@link #ledger()}
 * (checkpoint, processed files, runs), {@link #staging()} (bulk loads), {@link #transactions()}
 * (the commit) and {@link #view()} (the realtime view's refresh). Spark loads staging tables; our
 * own SQL then moves rows into place in one transaction, so a run commits its rows and its
 * checkpoint together or commits nothing.
 */
public final class Warehouse implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Warehouse.class);

    private final Connections connections;
    private final WarehouseDdl ddl;
    private final AutoCloseable server;
    private final WarehouseObjects objects;
    private final Ledger ledger;
    private final BulkStaging staging;
    private final Transactions transactions;
    private final RealtimeView view;
    private final RoundTrips trips = new RoundTrips();
    private final KeyedReads keyedReads;

    Warehouse(Connections connections, WarehouseDdl ddl, BulkTransfer transfer, AutoCloseable server) {
        this.connections = connections;
        this.ddl = ddl;
        this.server = server;
        this.objects = new WarehouseObjects(connections, ddl);
        this.ledger = new Ledger(connections, ddl);
        this.staging = new BulkStaging(connections, ddl, transfer, trips);
        this.keyedReads = new KeyedReads(connections, trips);
        this.transactions = new Transactions(connections, ledger);
        this.view = new RealtimeView(connections, ddl, ledger, objects);
    }

    /** A PostgreSQL warehouse at this URL (the local default, the tests, or any server of yours). */
    public static Warehouse postgres(String jdbcUrl, String user, Optional<String> password, String schema, int batchSize, AutoCloseable server) {
        return postgres(jdbcUrl, user, password, new WarehouseDdl(SqlDialect.POSTGRES, schema), batchSize, server, Retry.DEFAULT);
    }

    /** As {@link #postgres(String, String, Optional, String, int, AutoCloseable)}, with a retry policy of its own. */
    public static Warehouse postgres(String jdbcUrl, String user, Optional<String> password, String schema, int batchSize, AutoCloseable server,
            Retry retry) {
        return postgres(jdbcUrl, user, password, new WarehouseDdl(SqlDialect.POSTGRES, schema), batchSize, server, retry);
    }

    /** As above, with the DDL given (a materialized realtime view, say). */
    public static Warehouse postgres(String jdbcUrl, String user, Optional<String> password, WarehouseDdl ddl, int batchSize, AutoCloseable server,
            Retry retry) {
        Connections connections = Connections.postgres(jdbcUrl, user, password, retry);
        return new Warehouse(connections, ddl, new BulkTransfer.Jdbc(connections, batchSize), server);
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
        Retry retry = new Retry(s.retryAttempts(), s.retryBackoff());
        return switch (s.kind()) {
            case EMBEDDED -> {
                EmbeddedWarehouseServer server = EmbeddedWarehouseServer.start(s.embeddedDataDir(), s.embeddedPort());
                yield postgres(server.jdbcUrl(), "postgres", Optional.empty(), new WarehouseDdl(SqlDialect.POSTGRES, s.schema(),
                        s.materializedView()), s.batchSize(), server, retry);
            }
            case POSTGRES -> postgres(s.jdbcUrl(), s.user(), s.password(), new WarehouseDdl(SqlDialect.POSTGRES, s.schema(), s.materializedView()),
                    s.batchSize(), null, retry);
            case REDSHIFT -> {
                RedshiftConnector.loadDriver();
                RedshiftConnector connector = new RedshiftConnector(s);
                yield new Warehouse(new Connections(connector.jdbcUrl(), connector.connectionProperties(), retry),
                        new WarehouseDdl(SqlDialect.REDSHIFT, s.schema(), s.materializedView()), new BulkTransfer.Connector(connector), null);
            }
        };
    }

    /** What this warehouse cannot store (quarantined, never staged). */
    public com.shipmenttimeline.schemas.StorageLimits storageLimits() {
        return com.shipmenttimeline.schemas.StorageLimits.of(ddl().dialect());
    }

    public WarehouseDdl ddl() {
        return ddl;
    }

    public String describe() {
        return connections.redacted() + " schema " + ddl.schema();
    }

    public Connection connect() throws SQLException {
        return connections.open();
    }

    /** How work that is safe to repeat is retried on a transient failure (connecting, taking the lease). */
    public Retry retry() {
        return connections.retry();
    }

    public WarehouseObjects objects() {
        return objects;
    }

    public Ledger ledger() {
        return ledger;
    }

    public BulkStaging staging() {
        return staging;
    }

    /** A small batch's look-ups by key, on the driver. */
    public KeyedReads keyedReads() {
        return keyedReads;
    }

    /** The bulk loads, bulk reads, staging tables and keyed queries asked of this warehouse so far. */
    public RoundTrips roundTrips() {
        return trips;
    }

    public Transactions transactions() {
        return transactions;
    }

    public RealtimeView view() {
        return view;
    }

    /** How many warehouse connections this warehouse has opened so far (the rest were kept ones, used again). */
    public long connectionsMade() {
        return connections.made();
    }

    /** Runs one statement, auto-committed (set-up and clean-up in tools and tests). */
    public void execute(String sql) {
        Sql.execute(connections, sql);
    }

    @Override
    public void close() {
        connections.closeIdle();
        if (server != null) {
            try {
                server.close();
            } catch (Exception e) {
                LOG.warn("warehouse: close failed: {}", e.getMessage());
            }
        }
    }
}
