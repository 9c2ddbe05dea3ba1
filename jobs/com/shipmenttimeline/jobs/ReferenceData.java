package com.shipmenttimeline.jobs;

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

    /** Parquet and JSON Lines files of the folder, by the events' naming rules; a missing folder reads as empty. */
    private Dataset<Row> read(String dir, StructType schema) {
        Path root = new Path(rawRoot, dir);
        List<String> parquet = new ArrayList<>();
        List<String> json = new ArrayList<>();
        try {
            FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (fs.exists(root)) {
                collect(fs, root, parquet, json);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        Dataset<Row> out = spark.createDataFrame(List.of(), schema);
        if (!parquet.isEmpty()) {
            out = out.unionByName(spark.read().schema(schema).parquet(parquet.toArray(String[]::new)));
        }
        if (!json.isEmpty()) {
            out = out.unionByName(spark.read().schema(schema).option("mode", "FAILFAST").json(json.toArray(String[]::new)));
        }
        return out;
    }

    private static void collect(FileSystem fs, Path dir, List<String> parquet, List<String> json) throws IOException {
        for (FileStatus s : fs.listStatus(dir)) {
            String name = s.getPath().getName();
            if (RawFile.ignored(name)) {
                continue;
            }
            if (s.isDirectory()) {
                collect(fs, s.getPath(), parquet, json);
                continue;
            }
            RawFile f = RawFile.classify(s.getPath().toString(), name, null).orElseThrow(() -> new InputFileException(
                    s.getPath().toString(), "unknown file type in reference data; use .parquet or .json/.jsonl/.ndjson"));
            (f.format() == RawFile.Format.PARQUET ? parquet : json).add(f.path());
        }
    }
}
