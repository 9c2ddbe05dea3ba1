package com.shipmenttimeline.jobs;

import static com.shipmenttimeline.jobs.IncrementalJobTest.D0;
import static com.shipmenttimeline.jobs.IncrementalJobTest.DAY;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.shipmenttimeline.jobs.IncrementalJobTest.Deployment;
import com.shipmenttimeline.testing.RawFolder;
import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.TestWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recovery runbook's "base corruption" scenario (emr/README.md, "Recovery"), rehearsed: a
 * warehouse fed by a backfill and incremental runs loses every object; the runbook's backfill from
 * the raw files rebuilds it, the timeline equals the one before field by field, and the incremental
 * job goes on from the rebuilt checkpoint with nothing lost and nothing twice.
 */
class DisasterRecoveryTest {
    private static final Logger LOG = LoggerFactory.getLogger(DisasterRecoveryTest.class);

    @Test
    void aWarehouseLostWholeIsRebuiltFromTheRawFilesByBackfillFieldByField() throws Exception {
        Random r = new Random(20_261_204);
        List<Event> events = IncrementalJobTest.randomEvents(r, 25, 6 * DAY);
        long cut = D0 + 3 * DAY;
        Deployment d = new Deployment(Files.createTempDirectory(Path.of("target"), "disaster-recovery"));
        d.raw.reference(26, Instant.parse("2025-07-04T00:00:00Z"));
        String from = "2025-07-01";
        String end = "2025-07-08T00:00:00Z";
        d.raw.parquet(LocalDate.parse(from), events.stream().filter(e -> e.ts() < cut).toList());
        d.base("--mode", "backfill", "--from", from, "--as-of", Instant.ofEpochSecond(cut / 1_000_000).toString());
        d.raw.parquet(RawFolder.dateOf(cut), events.stream().filter(e -> e.ts() >= cut).toList());
        d.incremental("--as-of", end);
        List<Map<String, Object>> before = d.timeline();
        assertEquals(events.size(), before.size());

        // The corruption: every warehouse object is gone (the lake, the raw files and the stream's checkpoint are not).
        TestWarehouse.execute("DROP SCHEMA " + d.schema + " CASCADE");
        long started = System.nanoTime();
        // The runbook: a backfill from the first raw date up to now.
        d.base("--mode", "backfill", "--from", from, "--as-of", end);
        double seconds = (System.nanoTime() - started) / 1e9;
        List<Map<String, Object>> rebuilt = d.timeline();
        IncrementalJobTest.assertSameRows(before, rebuilt, "the rebuilt timeline");
        LOG.info("disaster recovery rehearsal: {} rows compared field by field, rebuilt in {} s", rebuilt.size(),
                String.format(java.util.Locale.ROOT, "%.1f", seconds));

        // The next arrival: the incremental job continues each shipment from the rebuilt rows.
        Event next = new Event("S25", "after-rebuild", D0 + 7 * DAY + 3_600_000_000L, "PICKED_UP", "L1", null);
        Event more = new Event(before.get(0).get("shipment_id").toString(), "after-rebuild-2", D0 + 7 * DAY + 7_200_000_000L, "DELIVERED", "L2",
                null);
        d.raw.parquet(RawFolder.dateOf(next.ts()), List.of(next, more));
        d.incremental("--as-of", "2025-07-09T00:00:00Z");
        d.assertExactlyOnce(events.size() + 2);
    }
}
