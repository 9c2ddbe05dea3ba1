package com.shipmenttimeline.jobs.source;

import com.shipmenttimeline.schemas.RawEvents;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * The reference tables, read whole: {@code <raw>/locations/} and {@code <raw>/packages/}. Each
 * instance reads each table once (its files listed, its schema inferred where the format needs it)
 * and hands out the same frame after; a streaming query keeps one instance for its batches and takes
 * a new one when {@link #changed()} says the files are no longer the ones it read. With
 * {@link #inMemory}, the frames are also kept in memory (a long-running query).
 */
public final class ReferenceData {
    private final SparkSession spark;
    private final String rawRoot;
    private final boolean inMemory;
    /** The files of each folder as listed when this instance was made: what it reads, and what {@link #changed()} compares. */
    private final java.util.Map<String, List<FileStatus>> listed = new java.util.HashMap<>();
    private final String fingerprint;
    private Dataset<Row> locations;
    private Dataset<Row> packages;
    private java.util.Set<String> locationIds;

    public ReferenceData(SparkSession spark, String rawRoot) {
        this(spark, rawRoot, false);
    }

    private ReferenceData(SparkSession spark, String rawRoot, boolean inMemory) {
        this.spark = spark;
        this.rawRoot = rawRoot;
        this.inMemory = inMemory;
        for (String dir : List.of(RawEvents.LOCATIONS_DIR, RawEvents.PACKAGES_DIR)) {
            listed.put(dir, list(dir));
        }
        this.fingerprint = fingerprint(listed);
    }

    /** Reference data whose frames are persisted when first read, for the batches of a long-running query. */
    public static ReferenceData inMemory(SparkSession spark, String rawRoot) {
        return new ReferenceData(spark, rawRoot, true);
    }

    public synchronized Dataset<Row> locations() {
        if (locations == null) {
            locations = keep(read(RawEvents.LOCATIONS_DIR, RawEvents.LOCATION_SCHEMA));
        }
        return locations;
    }

    public synchronized Dataset<Row> packages() {
        if (packages == null) {
            packages = keep(read(RawEvents.PACKAGES_DIR, RawEvents.PACKAGE_SCHEMA));
        }
        return packages;
    }

    /** The known location ids, collected to the driver once for this instance (a small batch's classification counts with them). */
    public synchronized java.util.Set<String> locationIds() {
        if (locationIds == null) {
            java.util.Set<String> ids = new java.util.HashSet<>();
            for (Row r : locations().filter(org.apache.spark.sql.functions.col(RawEvents.LOCATION_ID).isNotNull())
                    .select(RawEvents.LOCATION_ID).collectAsList()) {
                ids.add(r.getString(0));
            }
            locationIds = java.util.Set.copyOf(ids);
        }
        return locationIds;
    }

    /** True when the reference files (paths, sizes, modification times) are not the ones this instance was made over. */
    public boolean changed() {
        java.util.Map<String, List<FileStatus>> now = new java.util.HashMap<>();
        for (String dir : listed.keySet()) {
            now.put(dir, list(dir));
        }
        return !fingerprint.equals(fingerprint(now));
    }

    /** Releases the frames kept in memory. */
    public synchronized void release() {
        if (inMemory) {
            java.util.stream.Stream.of(locations, packages).filter(java.util.Objects::nonNull).forEach(Dataset::unpersist);
        }
        locations = null;
        locationIds = null;
        packages = null;
    }

    private Dataset<Row> keep(Dataset<Row> frame) {
        return inMemory ? frame.persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK()) : frame;
    }

    private static String fingerprint(java.util.Map<String, List<FileStatus>> files) {
        StringBuilder sb = new StringBuilder();
        for (String dir : List.of(RawEvents.LOCATIONS_DIR, RawEvents.PACKAGES_DIR)) {
            for (FileStatus s : files.get(dir)) {
                sb.append(s.getPath()).append(' ').append(s.getLen()).append(' ').append(s.getModificationTime()).append('\n');
            }
        }
        return sb.toString();
    }

    private List<FileStatus> list(String dir) {
        Path root = new Path(rawRoot, dir);
        List<FileStatus> files = new ArrayList<>();
        try {
            FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (fs.exists(root)) {
                collect(fs, root, files);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        files.sort(java.util.Comparator.comparing(f -> f.getPath().toString()));
        return files;
    }

    /**
     * The folder's files, each read as it is and each contract column cast to its type: reference
     * files come from many writers (an integer weight, a float32, a timestamp with or without zone),
     * and a missing column reads as null. Parquet, JSON Lines and CSV with a header row are read; a
     * missing folder reads as empty.
     */
    private Dataset<Row> read(String dir, StructType schema) {
        List<String> files = listed.get(dir).stream().map(f -> f.getPath().toString()).toList();
        Dataset<Row> out = spark.createDataFrame(List.of(), schema);
        java.util.Map<String, List<String>> byFormat = new java.util.TreeMap<>();
        for (String f : files) {
            String lower = f.toLowerCase(java.util.Locale.ROOT);
            String format = lower.endsWith(".parquet") ? "parquet" : lower.endsWith(".csv") || lower.endsWith(".csv.gz") ? "csv" : "json";
            byFormat.computeIfAbsent(format, k -> new ArrayList<>()).add(f);
        }
        for (java.util.Map.Entry<String, List<String>> group : byFormat.entrySet()) {
            String[] paths = group.getValue().toArray(String[]::new);
            Dataset<Row> raw = switch (group.getKey()) {
                case "parquet" -> spark.read().parquet(paths);
                case "csv" -> spark.read().option("header", "true").csv(paths);
                default -> spark.read().option("mode", "FAILFAST").json(paths);
            };
            java.util.Set<String> present = new java.util.HashSet<>(java.util.Arrays.asList(raw.columns()));
            org.apache.spark.sql.Column[] cols = java.util.Arrays.stream(schema.fields())
                    .map(field -> (present.contains(field.name()) ? raw.col(field.name()) : org.apache.spark.sql.functions.lit(null))
                            .cast(field.dataType()).as(field.name()))
                    .toArray(org.apache.spark.sql.Column[]::new);
            out = out.unionByName(raw.select(cols));
        }
        return out;
    }

    private static void collect(FileSystem fs, Path dir, List<FileStatus> files) throws IOException {
        for (FileStatus s : fs.listStatus(dir)) {
            String name = s.getPath().getName();
            if (RawFile.ignored(name)) {
                continue;
            }
            if (s.isDirectory()) {
                collect(fs, s.getPath(), files);
                continue;
            }
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            if (!(lower.endsWith(".csv") || lower.endsWith(".csv.gz")) && RawFile.classify(s.getPath().toString(), name, null).isEmpty()) {
                throw new InputFileException(s.getPath().toString(),
                        "unknown file type in reference data; use .parquet, .json/.jsonl/.ndjson or .csv (with a header row)");
            }
            files.add(s);
        }
    }
}
