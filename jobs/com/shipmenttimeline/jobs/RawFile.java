package com.shipmenttimeline.jobs;

import java.time.LocalDate;
import java.util.Locale;
import java.util.Optional;

/** One raw event file, classified by its name as TIMELINE-SPEC section 1 says. */
public record RawFile(String path, LocalDate ingestDate, Format format, boolean gzip) {

    public enum Format { PARQUET, JSON_LINES }

    /** True for names the contract says to pass over: those starting with {@code _} or {@code .}. */
    public static boolean ignored(String name) {
        return name.startsWith("_") || name.startsWith(".");
    }

    /**
     * The file's format by its extension (any letter case), or empty for an extension the contract
     * does not know; the caller stops the run on that.
     */
    public static Optional<RawFile> classify(String path, String name, LocalDate ingestDate) {
        String lower = name.toLowerCase(Locale.ROOT);
        boolean gzip = lower.endsWith(".gz");
        String stem = gzip ? lower.substring(0, lower.length() - 3) : lower;
        if (!gzip && stem.endsWith(".parquet")) {
            return Optional.of(new RawFile(path, ingestDate, Format.PARQUET, false));
        }
        if (stem.endsWith(".json") || stem.endsWith(".jsonl") || stem.endsWith(".ndjson")) {
            return Optional.of(new RawFile(path, ingestDate, Format.JSON_LINES, gzip));
        }
        return Optional.empty();
    }
}
