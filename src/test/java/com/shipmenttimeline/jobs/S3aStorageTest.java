package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.jobs.run.IncrementalJob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.RawFolder;
import com.shipmenttimeline.testing.ReferenceTimeline.Event;
import com.shipmenttimeline.testing.S3Server;
import com.shipmenttimeline.testing.SharedSpark;
import com.shipmenttimeline.testing.TestWarehouse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raw files, the Delta lake and the streaming checkpoint on s3a://, against a real S3-compatible
 * server (S3Mock): the base and incremental runs give exactly what the same runs give on local paths.
 */
class S3aStorageTest {
    static final long DAY = IncrementalJobTest.DAY;
    static final long D0 = IncrementalJobTest.D0;

    @Test
    void baseAndIncrementalOnS3aGiveWhatTheyGiveOnLocalPaths(@TempDir Path dir) throws Exception {
        S3Server.get().configure(SharedSpark.get());
        IncrementalJobTest.Deployment local = new IncrementalJobTest.Deployment(dir.resolve("local"));
        IncrementalJobTest.Deployment remote = new IncrementalJobTest.Deployment(dir.resolve("remote"));
        remote.onS3(S3Server.uri(remote.schema));

        List<Event> events = IncrementalJobTest.randomEvents(new Random(11), 20, 5 * DAY);
        long cut = D0 + 2 * DAY;
        long cut2 = D0 + 3 * DAY;
        for (IncrementalJobTest.Deployment d : List.of(local, remote)) {
            d.raw.reference(20, Instant.parse("2025-07-04T00:00:00Z"));
            d.raw.parquet(LocalDate.parse("2025-07-02"), events.stream().filter(e -> e.ts() < cut).toList());
            d.base("--mode", "daily_base", "--as-of", "2025-07-03T00:00:00Z");
            d.raw.parquet(LocalDate.parse("2025-07-03"), events.stream().filter(e -> e.ts() >= cut && e.ts() < cut2).toList());
            d.raw.jsonLines(LocalDate.parse("2025-07-04"), events.stream().filter(e -> e.ts() >= cut2).map(RawFolder::json).toList());
            IncrementalJob.RunResult r = d.incremental("--as-of", "2025-07-06T12:00:00Z");
            assertTrue(!r.batches().isEmpty(), "the incremental run took batches in");
            assertTrue(d.incremental("--as-of", "2025-07-06T12:00:00Z").batches().isEmpty(), "a second run finds nothing new");
        }

        IncrementalJobTest.assertSameRows(local.timeline(), remote.timeline(), "s3a against local paths");
        assertEquals(events.size(), remote.timeline().size());
        assertEquals(local.checkpoint(), remote.checkpoint());
        for (String table : List.of(TimelineLake.BASE_TABLE, TimelineLake.INCREMENTAL_TABLE)) {
            assertEquals(local.lake().read(table).count(), remote.lake().read(table).count(), "lake table " + table);
        }
        assertTrue(remote.lake().read(TimelineLake.INCREMENTAL_TABLE).count() > 0);
        String files = "SELECT count(*) FROM %s WHERE path LIKE '%s%%'";
        assertEquals(3, TestWarehouse.count(String.format(files, remote.t("processed_files"), "s3a://")), "every raw file, by its s3a:// name");
        org.apache.hadoop.fs.Path offsets = new org.apache.hadoop.fs.Path(remote.streamUri + "/offsets");
        FileSystem fs = offsets.getFileSystem(SharedSpark.get().sparkContext().hadoopConfiguration());
        assertTrue(fs.exists(offsets), "the streaming checkpoint lives on s3a");
        com.shipmenttimeline.testing.Reliability.record("storage", "raw files, Delta lake and streaming checkpoint on s3a:// (S3Mock)",
                "the base and incremental runs give the same " + events.size() + " rows, field by field, as on local paths; same checkpoint"
                + " and lake row counts; a second run finds nothing new: " + remote.assertExactlyOnce(events.size()));
    }
}
