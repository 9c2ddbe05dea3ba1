package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.schemas.WarehouseSql;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Moves a DataFrame into a warehouse table and a query's rows back out: COPY on PostgreSQL, the
 * spark-redshift connector (through S3) on Redshift. Everything else, our own SQL, goes through
 * {@link Connections} on both.
 */
interface BulkTransfer {
    void append(Dataset<Row> rows, String qualifiedTable);

    Dataset<Row> read(SparkSession spark, String sql);

    /**
     * PostgreSQL: each Spark partition streams its rows into the table with {@code COPY ... FROM
     * STDIN (FORMAT csv)} on a connection of its own (several times faster than batched INSERTs);
     * reads use Spark's JDBC source.
     */
    final class Jdbc implements BulkTransfer {
        private final Connections connections;
        private final int batchSize;

        Jdbc(Connections connections, int batchSize) {
            this.connections = connections;
            this.batchSize = batchSize;
        }

        /**
         * Each partition's COPY commits on its own connection, so a Spark task that is retried (or run twice
         * by speculation) would stage its rows twice. The COPY's transaction first claims the partition in
         * {@code <table>_parts} (its primary key): an attempt that finds it claimed by one that committed
         * loads nothing (contract section 5: staging idempotent per task attempt).
         */
        @Override
        public void append(Dataset<Row> rows, String qualifiedTable) {
            String parts = qualifiedTable + "_parts";
            Sql.execute(connections, "DROP TABLE IF EXISTS " + parts);
            Sql.execute(connections, "CREATE TABLE " + parts + " (part INTEGER PRIMARY KEY)");
            String copy = WarehouseSql.copyFromStdin(qualifiedTable, java.util.List.of(rows.columns()));
            String claim = "INSERT INTO " + parts + " (part) VALUES (?) ON CONFLICT DO NOTHING";
            String jdbcUrl = connections.url();
            Properties props = connections.copy();
            try {
                rows.foreachPartition((ForeachPartitionFunction<Row>) it -> PgCopy.copyOnce(jdbcUrl, props, claim,
                        org.apache.spark.TaskContext.getPartitionId(), copy, it));
            } finally {
                Sql.execute(connections, "DROP TABLE IF EXISTS " + parts);
            }
        }

        @Override
        public Dataset<Row> read(SparkSession spark, String sql) {
            Map<String, String> o = new HashMap<>();
            o.put("url", connections.url());
            o.put("driver", "org.postgresql.Driver");
            o.put("fetchsize", Integer.toString(batchSize));
            Properties credentials = connections.copy();
            credentials.stringPropertyNames().forEach(k -> o.put(k, credentials.getProperty(k)));
            o.put("query", sql);
            return spark.read().format("jdbc").options(o).load();
        }
    }

    /**
     * Redshift: the spark-redshift connector, by its data source name. Always Append into a staging
     * table we created: never Overwrite (it drops the table), never pre- or post-actions.
     */
    final class Connector implements BulkTransfer {
        private final RedshiftConnector connector;

        Connector(RedshiftConnector connector) {
            this.connector = connector;
        }

        @Override
        public void append(Dataset<Row> rows, String qualifiedTable) {
            connector.stagedForm(rows).write().format(RedshiftConnector.DATA_SOURCE).options(connector.writeOptions(qualifiedTable))
                    .mode(SaveMode.Append).save();
        }

        @Override
        public Dataset<Row> read(SparkSession spark, String sql) {
            return spark.read().format(RedshiftConnector.DATA_SOURCE).options(connector.readOptions(sql)).load();
        }
    }
}
