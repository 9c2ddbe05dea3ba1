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

/** The reference tables, read whole at each run: {@code <raw>/locations/} and {@code <raw>/packages/}. */
public final class ReferenceData {
    private final SparkSession spark;
    private final String rawRoot;

    public ReferenceData(SparkSession spark, String rawRoot) {
        this.spark = spark;
        this.rawRoot = rawRoot;
    }

    public Dataset<Row> locations() {
        return read(RawEvents.LOCATIONS_DIR, RawEvents.LOCATION_SCHEMA);
    }

    public Dataset<Row> packages() {
        return read(RawEvents.PACKAGES_DIR, RawEvents.PACKAGE_SCHEMA);
    }

    /**
     * The folder's files, each read as it is and each contract column cast to its type: reference
     * files come from many writers (an integer weight, a float32, a timestamp with or without zone),
     * and a missing column reads as null. Parquet, JSON Lines and CSV with a header row are read; a
     * missing folder reads as empty.
     */
    private Dataset<Row> read(String dir, StructType schema) {
        Path root = new Path(rawRoot, dir);
        List<String> files = new ArrayList<>();
        try {
            FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (fs.exists(root)) {
                collect(fs, root, files);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
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

    private static void collect(FileSystem fs, Path dir, List<String> files) throws IOException {
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
            files.add(s.getPath().toString());
        }
    }
}
