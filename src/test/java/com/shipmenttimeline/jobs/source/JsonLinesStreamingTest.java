package com.shipmenttimeline.jobs.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.transforms.JsonEventParser;
import java.io.BufferedWriter;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JSON Lines file larger than a task's memory is read, because the reader streams it: a child JVM
 * with a 64 MB heap reads a 192 MB file through the same iterator the Spark tasks use (reading it
 * whole, as one byte array, cannot fit).
 */
class JsonLinesStreamingTest {
    private static final long FILE_BYTES = 192L << 20;
    private static final String LINE_PREFIX = "{\"event_id\":\"e";

    /** The child: streams the file, counts rows and prints the count. */
    public static void main(String[] args) throws Exception {
        long rows = 0;
        JsonLinesFiles.LineIterator it = new JsonLinesFiles.LineIterator(args[0], new Configuration(), new JsonEventParser(), 1 << 20);
        while (it.hasNext()) {
            it.next();
            rows++;
        }
        System.out.println("rows=" + rows + " maxHeap=" + Runtime.getRuntime().maxMemory());
    }

    @Test
    void aFileLargerThanTheHeapIsStreamedLineByLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("big.jsonl");
        long lines = 0;
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            long written = 0;
            while (written < FILE_BYTES) {
                String line = LINE_PREFIX + lines + "\",\"shipment_id\":\"S" + (lines % 1000) + "\",\"event_timestamp\":\"2025-07-02T10:00:00Z\","
                        + "\"event_type\":\"SCAN\",\"status\":\"IN_TRANSIT\",\"location_id\":\"L1\",\"ingested_at\":\"2025-07-02T10:00:05Z\","
                        + "\"note\":\"" + "x".repeat(200) + "\"}\n";
                w.write(line);
                written += line.length();
                lines++;
            }
        }
        assertTrue(Files.size(file) > 3 * (64L << 20), "the file is three times the child's heap");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), JsonLinesStreamingTest.class.getName(), file.toUri().toString()));
        File out = dir.resolve("child.log").toFile();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "the child finished");
        String printed = Files.readString(out.toPath());
        assertEquals(0, p.exitValue(), printed);
        assertTrue(printed.contains("rows=" + lines + " "), "every line became a row: " + printed);
    }
}
