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

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--mode nightly                                  | --mode nightly",
        "--date 2025-13-01 --mode daily_base             | --date 2025-13-01",
        "--mode daily_base --as-of yesterday             | --as-of yesterday",
        "--mode daily_base --window-days 0               | --window-days 0",
        "--mode daily_base --bogus                       | unknown flag --bogus",
        "--mode daily_base --date                        | --date needs a value",
        "--mode backfill                                 | --from",
        "--mode daily_base --from 2025-07-01             | --from belongs to --mode backfill",
        "--mode daily_base --date 2025-07-01 --as-of 2025-07-01T00:00:00Z | give one",
        "--mode daily_base base.window-days=ten          | timeline.base.window-days",
        "--mode daily_base warehouse.kind=oracle         | timeline.warehouse.kind must be one of",
        "--mode daily_base warehouse.kind=postgres       | timeline.warehouse.jdbc-url is required",
        "--mode daily_base warehouse.schema=x;drop       | timeline.warehouse.schema",
        "--mode daily_base validation.future-tolerance=soon | timeline.validation.future-tolerance",
        "--mode daily_base no.such.key=1                 | unknown configuration key 'timeline.no.such.key'",
        "--mode daily_base --conf /nonexistent/x.conf    | --conf /nonexistent/x.conf",
        "--mode daily_base strayword                     | strayword",
        "--mode ddl --dialect oracle                     | --dialect oracle",
    })
    void userErrorsAreOneLineWithExitCode2(String args, String mentions) {
        Outcome o = launch(args.trim().split("\\s+"));
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
