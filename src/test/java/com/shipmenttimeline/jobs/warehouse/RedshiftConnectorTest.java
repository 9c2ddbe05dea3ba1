package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.UsageException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazon.redshift.util.RedshiftProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The production warehouse's settings, JDBC URL and connector options, checked against the real
 * Amazon Redshift JDBC driver's URL parser and the connector's documented option rules. Nothing
 * here reaches AWS; {@code RedshiftIT} does, when REDSHIFT_* variables are set.
 */
public class RedshiftConnectorTest {
    static final String ROLE = "arn:aws:iam::123456789012:role/shipment-timeline-redshift-copy";

    /** A complete Redshift configuration, as the EMR steps give it through environment variables. */
    public static final List<String> REDSHIFT_OVERRIDES = List.of(
            "paths.raw=s3://raw-bucket", "paths.lake=s3://processed-bucket/lake",
            "paths.streaming-checkpoint=s3://processed-bucket/streaming-checkpoint",
            "warehouse.kind=redshift", "warehouse.jdbc-url=\"jdbc:redshift:iam://tl.abc123.eu-west-1.redshift.amazonaws.com:5439/timeline\"",
            "warehouse.user=timeline_etl", "warehouse.redshift.tempdir=s3://processed-bucket/redshift-temp",
            "warehouse.redshift.iam-role-arn=\"" + ROLE + "\"");

    private static Settings settings(String... more) {
        List<String> o = new ArrayList<>(REDSHIFT_OVERRIDES);
        o.addAll(List.of(more));
        return Settings.load(null, o);
    }

    private static RedshiftConnector connector(String... more) {
        return new RedshiftConnector(settings(more).warehouse());
    }

    @Test
    void theUrlSignsInWithIamAsTheDbUserOverVerifiedTls() throws Exception {
        String url = connector().jdbcUrl();
        com.amazon.redshift.Driver driver = new com.amazon.redshift.Driver();
        assertTrue(driver.acceptsURL(url), url);
        RedshiftProperties parsed = com.amazon.redshift.Driver.parseURL(url, new RedshiftProperties());
        assertEquals("timeline_etl", parsed.getProperty("DbUser"));
        assertEquals("true", parsed.getProperty("ssl"));
        assertEquals("verify-full", parsed.getProperty("sslmode"));
        assertEquals("false", parsed.getProperty("AutoCreate"));
        assertTrue(url.startsWith("jdbc:redshift:iam://tl.abc123.eu-west-1.redshift.amazonaws.com:5439/timeline?"), url);
        assertFalse(url.toLowerCase().contains("password"), url);
        assertTrue(connector().connectionProperties().isEmpty(), "no user or password property: IAM signs in");
        assertEquals("verify-ca", com.amazon.redshift.Driver.parseURL(connector("warehouse.redshift.ssl-mode=verify-ca").jdbcUrl(),
                new RedshiftProperties()).getProperty("sslmode"));
        // No configuration turns TLS off: neither the ssl-mode key nor parameters in the URL.
        for (String off : List.of("warehouse.redshift.ssl-mode=disable", "warehouse.redshift.ssl-mode=require",
                "warehouse.jdbc-url=\"jdbc:redshift:iam://tl.abc123.eu-west-1.redshift.amazonaws.com:5439/timeline?ssl=false\"",
                "warehouse.jdbc-url=\"jdbc:redshift://tl.abc123.eu-west-1.redshift.amazonaws.com:5439/timeline\"")) {
            org.junit.jupiter.api.Assertions.assertThrows(UsageException.class, () -> settings(off), off);
        }
        com.shipmenttimeline.testing.Reliability.record("security", "Redshift connections without TLS",
                "impossible by configuration: the URL always carries ssl=true and sslmode=verify-full (or verify-ca); ssl-mode disable or"
                + " require, URL parameters such as ?ssl=false, and non-IAM URLs are refused with exit 2; no password is ever sent (IAM)");
    }

    @Test
    void writeOptionsAppendThroughTempdirWithTheCopyRoleAndNoActions() {
        Map<String, String> o = connector().writeOptions("shipment_timeline.stg_x_timeline");
        assertEquals("shipment_timeline.stg_x_timeline", o.get("dbtable"));
        assertEquals("CSV GZIP", o.get("tempformat"), "EMR's connector stages CSV; timestamps go as our own text (RedshiftStagingFormatTest)");
        assertEquals("s3://processed-bucket/redshift-temp", o.get("tempdir"));
        assertEquals(ROLE, o.get("aws_iam_role"));
        assertEquals(RedshiftConnector.DRIVER, o.get("jdbcdriver"));
        assertEquals("true", o.get("include_column_list"), "COPY names the columns: order never matters");
        // The connector's own rules (Parameters.scala): exactly one way for Redshift to reach S3, and
        // credentials either in the URL or as user/password, never both.
        assertFalse(o.containsKey("forward_spark_s3_credentials") || o.keySet().stream().anyMatch(k -> k.startsWith("temporary_aws_")));
        assertFalse(o.containsKey("user") || o.containsKey("password"));
        assertTrue(o.get("url").contains("DbUser="));
        // Our transaction moves the rows; the connector only loads the staging table.
        assertFalse(o.containsKey("preactions") || o.containsKey("postactions") || o.containsKey("query"));
        assertFalse(o.values().stream().anyMatch(v -> v.toUpperCase().contains("TRUNCATE") || v.toUpperCase().contains("REFRESH")));
        assertTrue(o.get("label").chars().allMatch(Character::isUnicodeIdentifierPart), "the connector's rule for label");
    }

    @Test
    void readOptionsUnloadAQueryAsParquet() {
        Map<String, String> o = connector("warehouse.redshift.tempdir-region=eu-west-1").readOptions("SELECT 1");
        assertEquals("SELECT 1", o.get("query"));
        assertFalse(o.containsKey("dbtable"), "the connector refuses dbtable and query together");
        assertEquals("PARQUET", o.get("unload_s3_format"));
        assertEquals("eu-west-1", o.get("tempdir_region"));
    }

    @Test
    void badRedshiftSettingsAreOneLineUsageErrors() {
        assertUsage("jdbc:redshift:iam://", "warehouse.jdbc-url=\"jdbc:redshift://h:5439/db\"");
        assertUsage("no parameters", "warehouse.jdbc-url=\"jdbc:redshift:iam://h:5439/db?DbUser=x\"");
        assertUsage("DbUser", "warehouse.user=\"\"");
        assertUsage("tempdir", "warehouse.redshift.tempdir=/tmp/x");
        assertUsage("iam-role-arn", "warehouse.redshift.iam-role-arn=\"arn:aws:iam::12:role/x\"");
        assertUsage("ssl-mode", "warehouse.redshift.ssl-mode=disable");
    }

    private static void assertUsage(String expected, String override) {
        UsageException e = assertThrows(UsageException.class, () -> settings(override));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void withoutTheConnectorAJobSaysWhichJarsToAdd() {
        assertFalse(RedshiftConnector.available(), "the connector is not vendored (docs/reference/platform.md)");
        UsageException e = assertThrows(UsageException.class, () -> Warehouse.open(settings().warehouse()));
        assertTrue(e.getMessage().contains("/usr/share/aws/redshift/spark-redshift/lib/spark-redshift.jar"), e.getMessage());
    }

    @Test
    void sqlModesNeedOnlyTheDriverAndSpeakTheRedshiftDialect() {
        try (Warehouse w = Warehouse.openForSql(settings().warehouse())) {
            assertEquals(com.shipmenttimeline.schemas.SqlDialect.REDSHIFT, w.ddl().dialect());
            assertEquals("public", w.ddl().schema());
            assertFalse(w.describe().contains("DbUser"), "logged URLs lose their parameters: " + w.describe());
        }
    }
}
