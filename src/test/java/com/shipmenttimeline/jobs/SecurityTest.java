package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.UsageException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.Reliability;
import com.shipmenttimeline.testing.TestWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Configuration cannot inject SQL, values travel as data, and no file of the repository holds a secret. */
class SecurityTest {
    /** A key that names a secret, given a literal value (not a ${VAR} and not the name of a variable). */
    static final Pattern SECRET_ASSIGNMENT = Pattern.compile(
            "(?i)\\b(password|passwd|secret|token|access[._-]?key|secret[._-]?key)\\b[\"']?\\s*[=:]\\s*[\"']?(?-i:(?![A-Z][A-Z0-9_]*[\"']?\\s*$))(?!\\$)([^\"'\\s,}]{4,})");
    static final Pattern AWS_ACCESS_KEY_ID = Pattern.compile("\\b(AKIA|ASIA)[0-9A-Z]{16}\\b");

    @Test
    void noConfigurationOrDeploymentFileHoldsASecret() throws Exception {
        List<String> found = new ArrayList<>();
        int scanned = 0;
        for (String root : List.of("conf", "emr")) {
            try (Stream<Path> files = Files.walk(Path.of(root))) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    scanned++;
                    List<String> lines = Files.readAllLines(f);
                    for (int i = 0; i < lines.size(); i++) {
                        String line = lines.get(i).strip();
                        if (line.startsWith("#") || line.startsWith("//")) {
                            continue;
                        }
                        if (SECRET_ASSIGNMENT.matcher(line).find() || AWS_ACCESS_KEY_ID.matcher(line).find()) {
                            found.add(f + ":" + (i + 1) + ": " + line);
                        }
                    }
                }
            }
        }
        assertTrue(scanned >= 10, "scanned " + scanned + " files");
        assertEquals(List.of(), found);
        // The scan itself catches what it should.
        assertTrue(SECRET_ASSIGNMENT.matcher("password = \"hunter22\"").find());
        assertTrue(SECRET_ASSIGNMENT.matcher("\"spark.hadoop.fs.s3a.secret.key\": \"abcd1234\"").find());
        assertFalse(SECRET_ASSIGNMENT.matcher("password-env = \"TIMELINE_DB_PASSWORD\"").find());
        assertFalse(SECRET_ASSIGNMENT.matcher("tempdir = ${?TIMELINE_REDSHIFT_TEMPDIR}").find());
        Reliability.record("security", "a secret in a configuration or deployment file", "none in " + scanned
                + " files of conf/ and emr/ (a scan for secret-named keys with literal values and AWS key ids)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"public; DROP TABLE x", "a\"b", "x' OR '1'='1", "Timeline", "1st", "a b", "a.b", "tl--", "schema/*x*/",
        "a123456789012345678901234567890123456789012345678901234567890123"})
    void aSchemaNameThatIsNotAPlainIdentifierIsRefusedBeforeAnySql(String schema) {
        UsageException e = assertThrows(UsageException.class,
                () -> Settings.load(null, List.of("warehouse.schema=\"" + schema.replace("\"", "\\\"") + "\"")));
        assertTrue(e.getMessage().contains("warehouse.schema"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void theLauncherRefusesAnInjectedSchemaWithExitTwo() {
        LauncherTest.Outcome o = LauncherTest.launch("--mode", "query", "--sql", "SELECT 1", "warehouse.schema=\"x; DROP SCHEMA public\"");
        assertEquals(2, o.code(), o.err());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        Reliability.record("security", "SQL in a configured identifier (warehouse.schema = \"x; DROP SCHEMA public\")",
                "refused before any connection: exit 2, one line: " + o.err().strip());
    }

    /**
     * Values with every SQL and COPY metacharacter travel as data: through the COPY staging loads,
     * bound parameters and the lake, and back out of the view unchanged.
     */
    @Test
    void valuesWithSqlAndCopyMetacharactersArriveUnchanged(@TempDir Path dir) throws Exception {
        List<String> nasty = List.of("it's", "x'; DROP TABLE processing_runs; --", "\"quoted\"", "\\N", "back\\slash", "tab\there",
                "comma,semi;colon", "new\nline", "ünï©ødé ✓", "$1 $$ :name ?", "NULL");
        IncrementalJobTest.Deployment d = new IncrementalJobTest.Deployment(dir);
        d.raw.reference(nasty.size(), Instant.parse("2025-07-04T00:00:00Z"));
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < nasty.size(); i++) {
            events.add(new Event("S" + i, nasty.get(i), IncrementalJobTest.D0 + IncrementalJobTest.DAY + i * 60_000_000L, nasty.get(i),
                    nasty.get(i), null));
        }
        d.raw.parquet(LocalDate.parse("2025-07-02"), events.subList(0, 6));
        d.base("--mode", "daily_base", "--as-of", "2025-07-02T00:06:00Z");
        d.raw.parquet(LocalDate.parse("2025-07-02"), events.subList(6, nasty.size()));
        d.incremental("--as-of", "2025-07-03T00:00:00Z");

        List<Map<String, Object>> rows = TestWarehouse.query("SELECT event_id, status, location_id FROM " + d.t("shipment_timeline_realtime"));
        assertEquals(nasty.size(), rows.size());
        for (Map<String, Object> r : rows) {
            assertTrue(nasty.contains((String) r.get("event_id")), "unchanged: " + r);
            assertEquals(r.get("event_id"), r.get("status"));
            assertEquals(r.get("event_id"), r.get("location_id"));
        }
        assertEquals(nasty.stream().sorted().toList(), rows.stream().map(r -> (String) r.get("event_id")).sorted().toList());
        assertTrue(TestWarehouse.count("SELECT count(*) FROM " + d.t("processing_runs")) >= 2, "processing_runs is still there");
        d.assertExactlyOnce(nasty.size());
        Reliability.record("security", "event values carrying SQL and COPY metacharacters (quotes, \\N, tab, newline, '; DROP TABLE')",
                "stored and read back unchanged through COPY, bound parameters and the lake; no statement but the job's ran");
    }
}
