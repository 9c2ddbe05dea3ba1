package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.SparkSessions;
import com.shipmenttimeline.jobs.config.UsageException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * How the production warehouse is reached: the JDBC URL and driver properties for our own SQL, and
 * the options of the spark-redshift community connector for bulk loads and reads. The connector is
 * called by its data source name only; EMR supplies its jar (docs/design.md), so nothing here links to it.
 *
 * <p>The loads use {@code tempformat = PARQUET}: the connector's AVRO and CSV formats cut timestamps
 * to milliseconds and render them in the JVM's zone, while Parquet carries Spark's timestamps
 * (microseconds, UTC instants) into {@code COPY ... FORMAT AS PARQUET} unchanged. Every run pins the
 * JVM and the Spark session to UTC as well (see emr/ and {@link SparkSessions}).
 */
public final class RedshiftConnector {
    public static final String DATA_SOURCE = "io.github.spark_redshift_community.spark.redshift";
    public static final String DRIVER = "com.amazon.redshift.jdbc42.Driver";
    public static final String TEMP_FORMAT = "PARQUET";

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
        o.put("tempformat", TEMP_FORMAT);
        o.put("include_column_list", "true");
        return o;
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
