package com.shipmenttimeline.jobs.source;

import java.time.LocalDate;
import java.util.Locale;
import java.util.Optional;

/** One raw event file, classified by its name as contract section 1 says. */
public record RawFile(String path, LocalDate ingestDate, Format format, boolean gzip) {

    public enum Format { PARQUET, JSON_LINES }

    /**
     * One spelling per file, whoever names it: Hadoop's listing says {@code file:/x}, Spark's file
     * source may say {@code file:///x} or URL-encode it.
     */
    public static String canonical(String path) {
        java.net.URI u;
        try {
            u = new org.apache.hadoop.fs.Path(java.net.URI.create(path)).toUri();
        } catch (IllegalArgumentException notAUri) {
            u = new org.apache.hadoop.fs.Path(path).toUri();
        }
        return (u.getScheme() == null ? "" : u.getScheme() + "://") + (u.getAuthority() == null ? "" : u.getAuthority()) + u.getPath();
    }

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
