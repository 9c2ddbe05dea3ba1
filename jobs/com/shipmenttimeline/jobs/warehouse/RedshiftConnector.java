package com.shipmenttimeline.jobs.warehouse;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.date_format;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.UsageException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.TimestampType;

/**
 * How the production warehouse is reached: the JDBC URL and driver properties for our own SQL, and
 * the options of the spark-redshift community connector for bulk loads and reads. The connector is
 * called by its data source name only; EMR supplies its jar (docs/reference/platform.md, "The Redshift integration is on the cluster"), so nothing here links to it.
 *
 * <p>The loads stage rows as {@code CSV GZIP} by default ({@code warehouse.redshift.tempformat}),
 * the format AWS's own Spark–Redshift integration on EMR supports. The connector's CSV writer would
 * render timestamps itself, in the JVM's zone; so before the write every timestamp column becomes
 * our own text, {@value #TIMESTAMP_TEXT} in UTC (the session's zone), and COPY reads it back with
 * {@code TIMEFORMAT} {@value #COPY_TIMEFORMAT}, whose seconds take a fraction to the microsecond.
 * {@code PARQUET} (the community connector's, not EMR's) stages Spark's timestamps unconverted.
 */
public final class RedshiftConnector {
    public static final String DATA_SOURCE = "io.github.spark_redshift_community.spark.redshift";
    public static final String DRIVER = "com.amazon.redshift.jdbc42.Driver";
    /** How a timestamp is written into a CSV staging file: UTC wall time, six fraction digits (a Spark pattern). */
    public static final String TIMESTAMP_TEXT = "yyyy-MM-dd HH:mm:ss.SSSSSS";
    /** How COPY reads it (Redshift's pattern; SS takes the fraction). */
    public static final String COPY_TIMEFORMAT = "YYYY-MM-DD HH:MI:SS";
    /** The connector's marker for a null in CSV (its default, stated so that COPY and our tests agree). */
    public static final String CSV_NULL = com.shipmenttimeline.schemas.StorageLimits.REDSHIFT_NULL_MARKER;

    private final Settings.WarehouseSettings settings;

    public RedshiftConnector(Settings.WarehouseSettings settings) {
        if (settings.kind() != Settings.WarehouseKind.REDSHIFT) {
            throw new IllegalArgumentException("not a Redshift warehouse: " + settings.kind());
        }
        this.settings = settings;
    }

    /**
     * The URL for both our JDBC connections and the connector's: IAM authentication as the
     * configured DbUser (temporary credentials from GetClusterCredentials, signed with the instance
     * role), TLS on and the server certificate verified. It holds no secret.
     */
    public String jdbcUrl() {
        return settings.jdbcUrl() + "?DbUser=" + settings.user() + "&AutoCreate=false&ssl=true&sslmode=" + settings.redshift().sslMode()
                + "&ApplicationName=shipment-timeline";
    }

    /** Driver properties: none are needed beyond the URL, and a password is never sent. */
    public Properties connectionProperties() {
        return new Properties();
    }

    /**
     * Options for appending rows into an existing staging table: the connector writes Parquet to a
     * fresh folder under tempdir, then on one connection runs {@code CREATE TABLE IF NOT EXISTS}
     * (a no-op, the table exists) and {@code COPY ... IAM_ROLE}, and commits. No pre- or
     * post-actions: the move into the real tables is our own transaction afterwards.
     */
    public Map<String, String> writeOptions(String qualifiedTable) {
        Map<String, String> o = common();
        o.put("dbtable", qualifiedTable);
        o.put("tempformat", settings.redshift().tempFormat());
        o.put("include_column_list", "true");
        if (csv()) {
            o.put("csvnullstring", CSV_NULL);
            o.put("extracopyoptions", "TIMEFORMAT '" + COPY_TIMEFORMAT + "'");
        }
        return o;
    }

    private boolean csv() {
        return settings.redshift().tempFormat().startsWith("CSV");
    }

    /**
     * The rows as the connector is to stage them: with a CSV tempformat, every timestamp column as
     * our own UTC text ({@value #TIMESTAMP_TEXT}, rendered in the session's zone, which every run pins
     * to UTC); with PARQUET, unchanged.
     */
    public Dataset<Row> stagedForm(Dataset<Row> rows) {
        if (!csv()) {
            return rows;
        }
        Column[] cols = Arrays.stream(rows.schema().fields())
                .map(f -> f.dataType() instanceof TimestampType ? date_format(col(f.name()), TIMESTAMP_TEXT).as(f.name()) : col(f.name()))
                .toArray(Column[]::new);
        return rows.select(cols);
    }

    /** Options for reading a query's rows: Redshift UNLOADs them to tempdir as Parquet, Spark reads those. */
    public Map<String, String> readOptions(String sql) {
        Map<String, String> o = common();
        o.put("query", sql);
        o.put("unload_s3_format", "PARQUET");
        return o;
    }

    private Map<String, String> common() {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("url", jdbcUrl());
        o.put("jdbcdriver", DRIVER);
        o.put("tempdir", settings.redshift().tempdir());
        o.put("aws_iam_role", settings.redshift().iamRoleArn());
        if (!settings.redshift().tempdirRegion().isEmpty()) {
            o.put("tempdir_region", settings.redshift().tempdirRegion());
        }
        o.put("label", "shipment_timeline");
        return o;
    }

    /** True when the connector's classes are on the classpath (on EMR they are; locally they are not). */
    public static boolean available() {
        try {
            Class.forName(DATA_SOURCE + ".DefaultSource", false, Thread.currentThread().getContextClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** Loads the Redshift JDBC driver so DriverManager finds it; a clear error when EMR did not supply it. */
    public static void loadDriver() {
        try {
            Class.forName(DRIVER);
        } catch (ClassNotFoundException e) {
            throw new UsageException("warehouse.kind = redshift needs the Amazon Redshift JDBC driver (" + DRIVER
                    + ") on the classpath; on EMR add --jars /usr/share/aws/redshift/jdbc/RedshiftJDBC.jar (see emr/README.md)");
        }
    }
}
