package com.shipmenttimeline.bench;

import com.shipmenttimeline.jobs.warehouse.EmbeddedWarehouseServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load run at a small size, so that CI keeps it working and keeps the no-state-left check: a
 * few consecutive incremental runs and one larger batch in this JVM, each writing exactly its
 * events, and none leaving a cached RDD, an active stream, a staging table, a lease or a connection.
 * The real figures (100 batches, millions of events) come from bench/run load (docs/reliability.md, "Load").
 */
class IncrementalLoadSmokeTest {
    @TempDir
    Path out;

    @Test
    void consecutiveBatchesLeaveNoStateBehind() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (EmbeddedWarehouseServer server = EmbeddedWarehouseServer.start(out.resolve("warehouse").toString(), 54343)) {
            IncrementalLoad load = new IncrementalLoad(SharedSpark.get(), server, out, new PrintStream(log, true, StandardCharsets.UTF_8));
            load.run(5000, 6, 300, 30_000);
            String text = log.toString(StandardCharsets.UTF_8);
            assertEquals(List.of(), load.leaks, text);
            List<IncrementalLoad.Sample> small = load.samples().stream().filter(s -> s.run().equals("small batch")).toList();
            assertEquals(6, small.size());
            assertTrue(small.stream().allMatch(s -> s.events() == 300), text);
            assertTrue(load.samples().stream().anyMatch(s -> s.run().equals("big batch") && s.events() > 5_000), text);
            assertTrue(text.contains("no state left behind"), text);
            assertEquals(load.samples().size() + 1, Files.readAllLines(out.resolve("load.csv")).size());
        }
    }
}
