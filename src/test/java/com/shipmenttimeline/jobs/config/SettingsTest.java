package com.shipmenttimeline.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.jobs.warehouse.RedshiftConnectorTest;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
    @Test
    void referenceDefaults() {
        Settings s = Settings.load(null, List.of());
        assertEquals(10, s.windowDays());
        assertEquals(Duration.ofHours(24), s.futureTolerance());
        assertEquals(Settings.WarehouseKind.EMBEDDED, s.warehouse().kind());
        assertEquals("data/raw", s.paths().raw());
        assertEquals("local[*]", s.spark().master());
        assertEquals(730, s.retentionDays(), "two years, from the architecture document");
        assertTrue(s.retains());
    }

    @Test
    void retentionIsOffAtZeroAndOtherwiseLongerThanTheWindow() {
        assertEquals(false, Settings.load(null, List.of("retention.days=0")).retains());
        assertEquals(11, Settings.load(null, List.of("retention.days=11")).retentionDays());
        UsageException tooShort = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
                () -> Settings.load(null, List.of("retention.days=10")));
        assertTrue(tooShort.getMessage().contains("more than base.window-days (10), got 10"), tooShort.getMessage());
        Config env = ConfigFactory.parseMap(Map.of("TIMELINE_RETENTION_DAYS", "365"));
        assertEquals(365, Settings.load(null, List.of(), env).retentionDays(), "the variable the EMR stack sets");
    }

    /** The user goes into the Redshift JDBC URL: "etl&LogLevel=6" would set the driver's parameters. */
    @Test
    void aWarehouseUserThatIsNotAUserNameIsRefused() {
        List<String> redshift = new java.util.ArrayList<>(com.shipmenttimeline.jobs.warehouse.RedshiftConnectorTest.REDSHIFT_OVERRIDES);
        assertEquals("timeline_etl", Settings.load(null, redshift).warehouse().user());
        for (String bad : List.of("\"etl&LogLevel=6\"", "\"etl;x\"", "\"1etl\"", "\"etl name\"")) {
            List<String> o = new java.util.ArrayList<>(redshift);
            o.add("warehouse.user=" + bad);
            UsageException e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class, () -> Settings.load(null, o), bad);
            assertTrue(e.getMessage().startsWith("timeline.warehouse.user must be a user name"), e.getMessage());
        }
    }

    @Test
    void theLineLengthLimitIsASizeFromOneKibToOneGib() {
        assertEquals(1 << 20, Settings.load(null, List.of()).maxLineBytes(), "1 MiB by default");
        assertEquals(64 << 10, Settings.load(null, List.of("validation.max-line-length=64KiB")).maxLineBytes());
        for (String bad : List.of("100", "2GiB", "lots")) {
            UsageException e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
                    () -> Settings.load(null, List.of("validation.max-line-length=" + bad)), bad);
            assertTrue(e.getMessage().startsWith("timeline.validation.max-line-length must be"), e.getMessage());
        }
    }

    @Test
    void theUiIsOnUnderYarnAndOffLocallyUnlessSet() {
        Settings.SparkSettings auto = Settings.load(null, List.of()).spark();
        assertTrue(auto.uiFor("yarn"), "auto: on on a cluster");
        assertFalse(auto.uiFor("local[2]"), "auto: off locally and in tests");
        assertTrue(Settings.load(null, List.of("spark.ui-enabled=true")).spark().uiFor("local[*]"));
        assertFalse(Settings.load(null, List.of("spark.ui-enabled=false")).spark().uiFor("yarn"));
        UsageException e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
                () -> Settings.load(null, List.of("spark.ui-enabled=maybe")));
        assertEquals("timeline.spark.ui-enabled must be true, false or auto (got 'maybe')", e.getMessage());
    }

    @Test
    void theJobsSparkDefaultsNeverIncludeWhatARunNeedsAndDeltaIsAddedToTheUsersExtensions() {
        Settings.SparkSettings s = Settings.load(null, List.of()).spark();
        assertEquals("8", SparkSessions.defaults(s, "yarn").get("spark.sql.shuffle.partitions"));
        assertFalse(SparkSessions.defaults(s, "yarn").containsKey("spark.sql.session.timeZone"), "UTC is not a default the user may override");
        assertEquals("UTC", SparkSessions.essential().get("spark.sql.session.timeZone"));
        assertEquals(SparkSessions.DELTA_EXTENSION, SparkSessions.withDelta(""));
        assertEquals("com.example.Ext," + SparkSessions.DELTA_EXTENSION, SparkSessions.withDelta(" com.example.Ext "));
        assertEquals(SparkSessions.DELTA_EXTENSION + ",com.example.Ext", SparkSessions.withDelta(SparkSessions.DELTA_EXTENSION + ",com.example.Ext"));
    }

    @Test
    void precedenceIsCommandLineThenFileThenReference(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("my.conf");
        Files.writeString(conf, "timeline { data-dir = \"/srv/x\", base.window-days = 5, spark.shuffle-partitions = 3 }");
        Settings s = Settings.load(conf.toString(), List.of("base.window-days=7"));
        assertEquals(7, s.windowDays(), "command line beats the file");
        assertEquals(3, s.spark().shufflePartitions(), "the file beats the reference");
        assertEquals("/srv/x/raw", s.paths().raw(), "paths follow an overridden data-dir");
    }

    @Test
    void anEnvironmentVariableOutranksTheFileAndTheCommandLineOutranksBoth() {
        List<String> redshift = RedshiftConnectorTest.REDSHIFT_OVERRIDES;
        Settings fileOnly = Settings.load("emr-prod", redshift, ConfigFactory.empty());
        assertEquals(Settings.MetricsSink.CLOUDWATCH, fileOnly.metrics().sink(), "emr-prod.conf sets the sink");
        Config env = ConfigFactory.parseMap(Map.of("TIMELINE_METRICS_SINK", "log", "TIMELINE_ENVIRONMENT", "staging"));
        Settings withEnv = Settings.load("emr-prod", redshift, env);
        assertEquals(Settings.MetricsSink.LOG, withEnv.metrics().sink(), "the variable beats the file's value");
        assertEquals("staging", withEnv.metrics().environment(), "for every key the file sets");
        List<String> cli = new java.util.ArrayList<>(redshift);
        cli.add("metrics.sink=cloudwatch");
        assertEquals(Settings.MetricsSink.CLOUDWATCH, Settings.load("emr-prod", cli, env).metrics().sink(), "the command line beats the variable");
    }

    @Test
    void anEnvironmentDataDirMovesThePathsTheFileDoesNotSet(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("my.conf");
        Files.writeString(conf, "timeline { data-dir = \"/srv/file\", paths.lake = \"/srv/lake\" }");
        Settings s = Settings.load(conf.toString(), List.of(), ConfigFactory.parseMap(Map.of("TIMELINE_DATA_DIR", "/srv/env")));
        assertEquals("/srv/env/raw", s.paths().raw(), "TIMELINE_DATA_DIR beats the file's data-dir");
        assertEquals("/srv/lake", s.paths().lake(), "a path the file sets itself stays");
    }

    @Test
    void bundledEnvironmentsHoldOnlyOverridesAndLoad() {
        Settings dev = Settings.load("emr-dev", RedshiftConnectorTest.REDSHIFT_OVERRIDES);
        assertEquals("s3://raw-bucket", dev.paths().raw());
        assertEquals("s3://processed-bucket/redshift-temp", dev.warehouse().redshift().tempdir());
        assertEquals(Settings.MetricsSink.CLOUDWATCH, dev.metrics().sink());
        assertEquals("", dev.spark().master(), "spark-submit decides the master on EMR");
        assertEquals(Settings.WarehouseKind.REDSHIFT, dev.warehouse().kind());
        assertEquals("shipment_timeline", dev.warehouse().schema());
    }

    @Test
    void thePasswordComesFromTheNamedVariableAndNeverFromAFile() {
        Settings s = Settings.load(null, List.of("warehouse.password-env=NO_SUCH_VARIABLE_FOR_TESTS"));
        assertTrue(s.warehouse().password().isEmpty());
        assertTrue(Settings.load(null, List.of()).toString().contains("TIMELINE_DB_PASSWORD"), "the record holds the name only");
    }

    @Test
    void aPlainOverrideKeepsItsDoubleSlashAndAQuotedOneIsHocon() {
        Settings s = Settings.load(null, List.of("paths.raw=s3://bucket/raw", "paths.lake=\"/srv/lake\"", "base.window-days=4"));
        assertEquals("s3://bucket/raw", s.paths().raw(), "HOCON would read // as a comment");
        assertEquals("/srv/lake", s.paths().lake());
        assertEquals(4, s.windowDays());
    }

    @Test
    void theEffectiveConfigurationShowsEveryKeyAndRedactsSecrets() {
        List<String> lines = Settings.effective(null, List.of("base.window-days=7", "spark.extra.\"spark.hadoop.fs.s3a.secret.key\"=s3cr3t",
                "spark.extra.\"spark.hadoop.fs.s3a.access.key\"=AKIAEXAMPLE", "warehouse.kind=postgres",
                "warehouse.jdbc-url=\"jdbc:postgresql://db:5432/tl?sslmode=require&apikey=hunter2\""));
        String text = String.join("\n", lines);
        assertTrue(lines.contains("timeline.base.window-days = 7"), "the command line's value: " + text);
        assertTrue(lines.contains("timeline.warehouse.password-env = \"TIMELINE_DB_PASSWORD\""), "a variable's name is no secret");
        assertTrue(text.contains("fs.s3a.secret.key\" = <redacted>") && text.contains("fs.s3a.access.key\" = <redacted>"), text);
        assertTrue(!text.contains("s3cr3t") && !text.contains("AKIAEXAMPLE") && !text.contains("hunter2"), text);
        assertTrue(lines.contains("timeline.warehouse.jdbc-url = jdbc:postgresql://db:5432/tl?…"), text);
        assertEquals(lines.stream().sorted().toList(), lines, "in key order");
    }
}
