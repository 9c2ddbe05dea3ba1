package com.shipmenttimeline.jobs.warehouse;

import static org.apache.spark.sql.functions.col;

import com.shipmenttimeline.schemas.TableColumn;
import com.shipmenttimeline.schemas.WarehouseDdl;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Staging tables: a run's rows are bulk-loaded into tables of its own ({@code stg_<run>_<what>})
 * before its commit transaction moves them into place, and dropped after. Also reads a query's
 * rows back as a DataFrame.
 */
public final class BulkStaging {
    private static final Logger LOG = LoggerFactory.getLogger(BulkStaging.class);

    /** Rows per loading task when the count is known: PostgreSQL's COPY takes about 200,000 rows a second a connection. */
    static final long ROWS_PER_LOAD_TASK = 100_000;

    private final Connections connections;
    private final WarehouseDdl ddl;
    private final BulkTransfer transfer;
    private final RoundTrips trips;

    BulkStaging(Connections connections, WarehouseDdl ddl, BulkTransfer transfer, RoundTrips trips) {
        this.connections = connections;
        this.ddl = ddl;
        this.transfer = transfer;
        this.trips = trips;
    }

    /** Creates (or re-creates) a staging table with the given columns and loads the rows into it. */
    public void stage(Dataset<Row> rows, String table, List<TableColumn> columns) {
        stage(rows, table, columns, -1);
    }

    /**
     * As {@link #stage(Dataset, String, List)}, for {@code knownRows} rows (negative: not known). With 0
     * the table is created empty and no Spark job runs; a known count loads through one task per
     * {@link #ROWS_PER_LOAD_TASK} rows at most (a small batch: one task, one connection, one staged
     * file, where the frame's partitions would open one each).
     */
    public void stage(Dataset<Row> rows, String table, List<TableColumn> columns, long knownRows) {
        Sql.execute(connections, ddl.dropTable(table));
        Sql.execute(connections, ddl.createStagingTable(table, columns));
        trips.stagingTable();
        if (knownRows == 0) {
            return;
        }
        Dataset<Row> load = rows.select(columns.stream().map(c -> col(c.name())).toArray(Column[]::new));
        if (knownRows > 0) {
            // coalesce only merges partitions: a count above the frame's partitions leaves it as it is
            load = load.coalesce((int) Math.min(Integer.MAX_VALUE, (knownRows + ROWS_PER_LOAD_TASK - 1) / ROWS_PER_LOAD_TASK));
        }
        trips.copy();
        transfer.append(load, ddl.qualified(table));
        // Fresh statistics, so that the planner joins a small staged key set through the indexes.
        Sql.execute(connections, ddl.analyze(table));
    }

    /** Builds a staged timeline table's indexes ({@link WarehouseDdl#timelineIndexes}), before a commit swaps it in. */
    public void index(String table) {
        for (String sql : ddl.timelineIndexes(table)) {
            Sql.execute(connections, sql);
        }
    }

    /** Creates (or re-creates) an empty staging table, for a commit transaction to fill. */
    public void createEmpty(String table, List<TableColumn> columns) {
        stage(null, table, columns, 0);
    }

    /** The rows of a query, as a DataFrame. */
    public Dataset<Row> query(SparkSession spark, String sql) {
        trips.unload();
        return transfer.read(spark, sql);
    }

    /**
     * Drops the staging tables of runs that died before they could: called by a run that holds the
     * lease, so no live run owns any of them.
     */
    public void dropLeftovers() {
        List<String> leftovers = new ArrayList<>();
        try (Connection c = connections.open(); ResultSet rs = c.getMetaData().getTables(null, ddl.schema(), "stg\\_%", new String[] {"TABLE"})) {
            while (rs.next()) {
                leftovers.add(rs.getString("TABLE_NAME"));
            }
        } catch (SQLException e) {
            throw new WarehouseException("cannot list staging tables", e);
        }
        if (!leftovers.isEmpty()) {
            LOG.info("warehouse: dropping {} staging tables left by interrupted runs", leftovers.size());
            drop(leftovers.toArray(String[]::new));
        }
    }

    /** Drops tables, logging (not throwing) a failure: clean-up never hides the run's own outcome. */
    public void drop(String... tables) {
        for (String t : tables) {
            try {
                Sql.execute(connections, ddl.dropTable(t));
            } catch (WarehouseException e) {
                LOG.warn("warehouse: could not drop staging table {}: {}", t, e.getMessage());
            }
        }
    }
}
