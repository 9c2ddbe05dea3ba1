package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.cli.CommandLine;
import com.shipmenttimeline.jobs.run.Mode;
import com.shipmenttimeline.jobs.run.RunRequest;
import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.run.DailyBaseJob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Bad flags and bad configuration: one line naming the problem, exit code 2, no stack trace, no Spark started. */
class LauncherTest {
    record Outcome(int code, String out, String err) {}

    static Outcome launch(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Launcher.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "--mode nightly                                  | --mode nightly",
        "--date 2025-13-01 --mode daily_base             | '2025-13-01' is not a date",
        "--mode daily_base --as-of yesterday             | 'yesterday' is not a timestamp",
        "--mode daily_base --window-days 0               | '--window-days': '0' must be a whole number of at least 1",
        "--mode daily_base --bogus                       | unknown flag --bogus for daily_base",
        "--mode daily_base --date                        | Missing required parameter for option '--date'",
        "--mode backfill                                 | Missing required option: '--from",
        "--mode daily_base --from 2025-07-01             | --from belongs to --mode backfill, not daily_base",
        "--mode daily_base --date 2025-07-01 --as-of 2025-07-01T00:00:00Z | are mutually exclusive",
        "--mode daily_base base.window-days=ten          | timeline.base.window-days",
        "--mode daily_base warehouse.kind=oracle         | timeline.warehouse.kind must be one of",
        "--mode daily_base warehouse.kind=postgres       | timeline.warehouse.jdbc-url is required",
        "--mode daily_base warehouse.schema=x;drop       | timeline.warehouse.schema",
        "--mode daily_base validation.future-tolerance=soon | timeline.validation.future-tolerance",
        "--mode daily_base retention.days=-1             | timeline.retention.days must be 0 (keep everything) or more than base.window-days (10), got -1",
        "--mode daily_base --window-days 800             | timeline.retention.days must be 0 (keep everything) or more than base.window-days (800), got 730",
        "--mode daily_base retention.days=forever        | timeline.retention.days must be a whole number",
        "--mode daily_base no.such.key=1                 | unknown configuration key 'timeline.no.such.key'",
        "--mode daily_base --conf /nonexistent/x.conf    | --conf /nonexistent/x.conf",
        "--mode daily_base strayword                     | strayword",
        "--mode incremental --rebuild                    | --rebuild belongs to --mode daily_base or backfill, not incremental",
        "--mode daily_base --mode incremental            | --mode is given twice",
        "--mode                                          | --mode needs a value",
        "nightly --date 2025-07-01                       | unknown mode 'nightly'",
        "--date 2025-07-01                               | give the mode first",
        "''                                              | a mode is required",
        "backfill --from 2025-07-01 --to 2025-07-05 --date 2025-07-09 | are mutually exclusive",
        "query                                           | Missing required option: '--sql",
        "generate --defect-rate 1.5                      | '1.5' must be a number from 0 to 1",
        "--mode ddl --dialect oracle                     | 'oracle': use postgres or redshift",
    })
    void userErrorsAreOneLineWithExitCode2(String args, String mentions) {
        Outcome o = launch(args.isBlank() ? new String[0] : args.trim().split("\\s+"));
        assertEquals(2, o.code(), o.err());
        assertEquals(1, o.err().strip().lines().count(), "one line: " + o.err());
        assertTrue(o.err().startsWith("timeline: "), o.err());
        assertTrue(o.err().contains(mentions.trim()), o.err());
        assertFalse(o.err().contains("\tat "), "no stack trace");
    }

    @Test
    void helpPrintsUsageAndExitsZero() {
        Outcome o = launch("--help");
        assertEquals(0, o.code());
        assertTrue(o.out().contains("--mode"));
        assertTrue(o.out().contains("exit codes"));
    }

    @Test
    void eachModeHasItsOwnHelpListingOnlyItsOptions() {
        Outcome base = launch("--mode", "daily_base", "--help");
        assertEquals(0, base.code(), base.err());
        assertTrue(base.out().startsWith("usage: timeline daily_base"), base.out());
        assertTrue(base.out().contains("--rebuild") && base.out().contains("--window-days=N") && base.out().contains("[--as-of=TIMESTAMP |"),
                base.out());
        assertFalse(base.out().contains("--replay-from") || base.out().contains("--from"), "incremental's and backfill's flags are not here");
        Outcome inc = launch("incremental", "-h");
        assertTrue(inc.out().contains("--replay-from=TIMESTAMP"), inc.out());
        assertFalse(inc.out().contains("--rebuild"), inc.out());
        Outcome backfill = launch("backfill", "--help");
        assertTrue(backfill.out().contains("--from=YYYY-MM-DD [--as-of=TIMESTAMP | --date=YYYY-MM-DD | --to=YYYY-MM-DD]")
                || backfill.out().replaceAll("\\s+", " ").contains("--from=YYYY-MM-DD [--as-of=TIMESTAMP | --date=YYYY-MM-DD | --to=YYYY-MM-DD]"),
                "--to excludes --as-of and --date: " + backfill.out());
    }

    @Test
    void versionNamesTheBuildAndTheSparkItRunsOn() {
        Outcome o = launch("--version");
        assertEquals(0, o.code(), o.err());
        java.util.List<String> lines = o.out().strip().lines().toList();
        assertEquals(3, lines.size(), o.out());
        assertTrue(lines.get(0).matches("timeline \\d+\\.\\d+\\.\\d+.*"), "the project version, filtered in by the build: " + lines.get(0));
        assertTrue(lines.get(1).contains("spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION()), lines.get(1));
        assertTrue(lines.get(2).startsWith("running on Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION()), lines.get(2));
        assertEquals(o.out(), launch("daily_base", "-V").out(), "every mode answers --version the same");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--mode daily_base --rebuild --date 2025-07-11 base.window-days=7 | daily_base --date 2025-07-11 --rebuild base.window-days=7",
        "--mode=daily-base --rebuild --date=2025-07-11 base.window-days=7 | --rebuild --date 2025-07-11 --mode daily_base base.window-days=7",
        "--mode incremental --replay-from 2025-07-11T10:00:00Z            | incremental --replay-from=2025-07-11T10:00:00Z",
        "--mode backfill --from 2025-06-01 spark.shuffle-partitions=800   | backfill spark.shuffle-partitions=800 --from 2025-06-01",
        "--mode generate --events 1_000 --seed 7 --end-date 2025-07-01    | generate --end-date 2025-07-01 --seed 7 --events 1000 ",
        "--mode ddl --dialect redshift                                    | ddl --dialect REDSHIFT",
        "--conf emr-prod --mode monitor --date 2025-07-11                 | monitor --date 2025-07-11 --conf emr-prod",
    })
    void theRunbookFormAndTheSubcommandFormMeanTheSame(String runbook, String subcommand) {
        CommandLine a = CommandLine.parse(runbook.trim().split("\\s+"));
        CommandLine b = CommandLine.parse(subcommand.trim().split("\\s+"));
        assertEquals(a, b);
    }

    @Test
    void flagsThatOnlySetConfigurationBecomeOverridesBeforeTheUsersOwn() {
        CommandLine g = CommandLine.parse("generate --events 500 --days 3 --seed 9 --defect-rate 0.25 --end-date 2025-07-01 generator.events=7".split(" "));
        assertEquals(java.util.List.of("generator.events=500", "generator.days=3", "generator.seed=9", "generator.defect-rate=0.25",
                "generator.end-date=\"2025-07-01\"", "generator.events=7"), g.overrides(), "a key=value given on the line wins, as before");
        assertEquals(java.util.List.of("base.window-days=3"), CommandLine.parse("daily_base --window-days 3".split(" ")).overrides());
        CommandLine both = CommandLine.parse("daily_base --window-days 7 base.window-days=5".split(" "));
        assertEquals(5, com.shipmenttimeline.jobs.config.Settings.load(both.confFile(), both.overrides()).windowDays());
    }

    @Test
    void ddlPrintsBothFlavoursWithoutSpark() {
        Outcome pg = launch("--mode", "ddl", "warehouse.schema=timeline");
        assertEquals(0, pg.code());
        assertTrue(pg.out().contains("CREATE TABLE IF NOT EXISTS timeline.shipment_timeline_base"));
        assertTrue(pg.out().contains("CREATE VIEW timeline.shipment_timeline_realtime"), "a plain view by default");
        assertTrue(pg.out().contains("CREATE TABLE IF NOT EXISTS timeline.shipment_timeline_state"));
        Outcome mv = launch("--mode", "ddl", "warehouse.schema=timeline", "warehouse.realtime-view=materialized");
        assertTrue(mv.out().contains("CREATE MATERIALIZED VIEW IF NOT EXISTS timeline.shipment_timeline_realtime"), "as configured");
        Outcome rs = launch("--mode", "ddl", "--dialect", "redshift");
        assertTrue(rs.out().contains("DISTKEY(shipment_id) SORTKEY(shipment_id, event_timestamp)"));
        assertFalse(rs.out().contains("COLLATE"));
    }

    @Test
    void theRunbookLineParsesAsWritten() {
        RunRequest r = CommandLine.parse("--mode daily_base --rebuild --date 2025-07-11".split(" ")).request();
        assertEquals(Mode.DAILY_BASE, r.mode());
        assertTrue(r.rebuild());
        assertEquals(java.time.Instant.parse("2025-07-11T00:00:00Z"), r.asOf().orElseThrow());
        assertEquals(java.time.Instant.parse("2025-07-01T00:00:00Z"),
                DailyBaseJob.windowStart(r.asOf().orElseThrow(), 10, r.from()));
    }

    @org.junit.jupiter.api.Test
    void backfillToSetsTheReferenceTimeToTheEndOfThatDayAndIsCheckedLikeEveryFlag() {
        RunRequest r = CommandLine.parse("--mode backfill --from 2025-07-01 --to 2025-07-05".split(" ")).request();
        assertEquals(java.time.Instant.parse("2025-07-06T00:00:00Z"), r.asOf().orElseThrow());
        assertEquals(java.time.LocalDate.parse("2025-07-05"), r.to().orElseThrow());
        for (String bad : java.util.List.of("--mode daily_base --to 2025-07-05", "--mode backfill --from 2025-07-05 --to 2025-07-01",
                "--mode backfill --from 2025-07-01 --to 2025-07-05 --date 2025-07-09", "--mode backfill --from 2025-07-01 --to 07/05")) {
            org.junit.jupiter.api.Assertions.assertThrows(UsageException.class, () -> CommandLine.parse(bad.split(" ")).request(), bad);
        }
    }

    @Test
    void theCommittedUsageIsTheHelpTheLauncherPrints() throws Exception {
        // ./timeline --help prints docs/usage.txt without building first; it must say what the code says.
        assertEquals(CommandLine.USAGE + "\n", java.nio.file.Files.readString(java.nio.file.Path.of("docs", "usage.txt")),
                "docs/usage.txt is stale: write CommandLine.USAGE into it");
    }
}
