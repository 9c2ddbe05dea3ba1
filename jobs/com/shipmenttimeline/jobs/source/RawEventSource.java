package com.shipmenttimeline.jobs.source;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.schemas.StorageLimits;
import com.shipmenttimeline.transforms.StorableValues;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Lists and reads the raw event files: {@code <raw>/shipment_events/ingest_date=YYYY-MM-DD/*}.
 * Works on any Hadoop file system (local folders, {@code s3a://}).
 */
public final class RawEventSource {
    private final SparkSession spark;
    private final String rawRoot;
    private final StorageLimits limits;
    private final int maxLineBytes;
    /**
     * The Parquet files read since {@link #forgetReads()} (a base run's reads, or one batch's), to name
     * the one that breaks the run when Spark's error does not. An incremental run forgets them at each
     * batch, so a query that runs for days keeps no list of every file it ever read.
     */
    private final java.util.Set<String> parquetRead = java.util.Collections.synchronizedSet(new java.util.LinkedHashSet<>());

    /** @param limits what the warehouse cannot store: a row with such a value reads as malformed ({@link StorableValues}) */
    public RawEventSource(SparkSession spark, String rawRoot, StorageLimits limits, int maxLineBytes) {
        this.spark = spark;
        this.rawRoot = rawRoot;
        this.limits = limits;
        this.maxLineBytes = maxLineBytes;
    }

    public Path eventsRoot() {
        return new Path(rawRoot, RawEvents.EVENTS_DIR);
    }

    /**
     * The arrival folders on or after {@code fromDate}, as a path glob for the stream to list: the
     * folders before it hold only files a run has read or history a base run froze, and listing them
     * at every trigger would cost time (and on S3, requests) that grows with history. Every date
     * after it matches too, so the glob never needs to change as days pass. The top folder is listed
     * once to match it (one LIST); each matching folder once more.
     */
    public String foldersFrom(LocalDate fromDate) {
        return eventsRoot() + "/" + RawEvents.INGEST_DATE_PREFIX + "{" + String.join(",", datesFrom(fromDate.toString())) + "}";
    }

    /**
     * Glob alternatives that match a {@code YYYY-MM-DD} name exactly when it is on or after
     * {@code date}: the date itself, and for each digit of it, the same prefix with a greater digit
     * there and anything after (names of one shape compare as dates do).
     */
    static List<String> datesFrom(String date) {
        List<String> out = new ArrayList<>();
        out.add(date);
        for (int i = 0; i < date.length(); i++) {
            char c = date.charAt(i);
            if (Character.isDigit(c) && c < '9') {
                out.add(date.substring(0, i) + "[" + (char) (c + 1) + "-9]*");
            }
        }
        return out;
    }

    /**
     * Checks the top of the layout: everything in {@code shipment_events/} is an
     * {@code ingest_date=YYYY-MM-DD} folder (or a name every run ignores). The stream lists only the
     * date folders, so a misplaced file or folder is named here, at the start of the run.
     */
    public void checkFolders() {
        try {
            FileSystem fs = eventsRoot().getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(eventsRoot())) {
                return;
            }
            for (FileStatus dir : fs.listStatus(eventsRoot())) {
                if (!RawFile.ignored(dir.getPath().getName())) {
                    ingestDate(dir);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + eventsRoot(), e);
        }
    }

    /** True when no event file has arrived yet (the folder is missing or holds no date folder). */
    public boolean isEmpty() {
        try {
            FileSystem fs = eventsRoot().getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(eventsRoot())) {
                return true;
            }
            return Arrays.stream(fs.listStatus(eventsRoot())).noneMatch(s -> !RawFile.ignored(s.getPath().getName()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + eventsRoot(), e);
        }
    }

    /**
     * Every event file whose {@code ingest_date} is on or after {@code fromDate}, in path order. A
     * file or folder that breaks the layout stops the run with an {@link InputFileException}.
     */
    public List<RawFile> listFrom(LocalDate fromDate) {
        Path root = eventsRoot();
        List<RawFile> files = new ArrayList<>();
        try {
            FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(root)) {
                return files;
            }
            for (FileStatus dir : fs.listStatus(root)) {
                String name = dir.getPath().getName();
                if (RawFile.ignored(name)) {
                    continue;
                }
                LocalDate date = ingestDate(dir);
                if (date.isBefore(fromDate)) {
                    continue;
                }
                for (FileStatus f : fs.listStatus(dir.getPath())) {
                    String fileName = f.getPath().getName();
                    if (RawFile.ignored(fileName)) {
                        continue;
                    }
                    if (f.isDirectory()) {
                        throw new InputFileException(f.getPath().toString(), "a folder inside an ingest_date folder; event files belong directly in it");
                    }
                    files.add(RawFile.classify(f.getPath().toString(), fileName, date).orElseThrow(() -> new InputFileException(
                            f.getPath().toString(), "unknown file type; use .parquet, or .json/.jsonl/.ndjson, optionally .gz")));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        files.sort(Comparator.comparing(RawFile::path));
        return files;
    }

    /** The offered files that exist, classified, and those that no longer do. */
    public record Offered(List<RawFile> files, List<String> missing) {}

    /**
     * Classifies explicitly named files (the incremental job's new files), with the same rules as
     * {@link #listFrom}. Each folder is listed once (one LIST per folder, not a HEAD per file). A named
     * file that is no longer there is returned in {@code missing} instead of failing the read. (When a
     * failed batch is retried after an operator moved its bad file away, Spark's file index has
     * already left the vanished path out; this covers a file that goes between that listing and here.)
     */
    public Offered classify(List<String> paths) {
        Map<Path, List<Path>> byFolder = new LinkedHashMap<>();
        for (String p : paths) {
            Path path = new Path(p);
            if (!RawFile.ignored(path.getName())) {
                byFolder.computeIfAbsent(path.getParent(), k -> new ArrayList<>()).add(path);
            }
        }
        List<RawFile> files = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<Path, List<Path>> folder : byFolder.entrySet()) {
            java.util.Set<String> present = new java.util.HashSet<>();
            LocalDate date = null;
            try {
                FileSystem fs = folder.getKey().getFileSystem(spark.sparkContext().hadoopConfiguration());
                FileStatus status = fs.getFileStatus(folder.getKey());
                date = ingestDate(status);
                for (FileStatus f : fs.listStatus(folder.getKey())) {
                    present.add(f.getPath().getName());
                }
            } catch (java.io.FileNotFoundException gone) {
                // the whole folder was moved away: every file named in it is missing
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + folder.getKey(), e);
            }
            for (Path path : folder.getValue()) {
                String p = path.toString();
                if (!present.contains(path.getName())) {
                    missing.add(p);
                    continue;
                }
                files.add(RawFile.classify(p, path.getName(), date).orElseThrow(() -> new InputFileException(
                        p, "unknown file type; use .parquet, or .json/.jsonl/.ndjson, optionally .gz")));
            }
        }
        files.sort(Comparator.comparing(RawFile::path));
        return new Offered(files, missing);
    }

    private static LocalDate ingestDate(FileStatus dir) {
        String name = dir.getPath().getName();
        if (!dir.isDirectory() || !name.startsWith(RawEvents.INGEST_DATE_PREFIX)) {
            throw new InputFileException(dir.getPath().toString(),
                    "not an ingest_date=YYYY-MM-DD folder; event files belong in one folder per arrival date");
        }
        try {
            return LocalDate.parse(name.substring(RawEvents.INGEST_DATE_PREFIX.length()));
        } catch (DateTimeParseException e) {
            throw new InputFileException(dir.getPath().toString(), "the folder's date is not YYYY-MM-DD");
        }
    }

    /** Reads the files into rows of {@link RawEvents#READ_SCHEMA}. Blank JSON lines are not rows. */
    public Dataset<Row> read(List<RawFile> files) {
        return read(files, null, null);
    }

    /**
     * As {@link #read(List)}, for a run that quarantines a Parquet row only when a required field is
     * missing or blank, or its timestamp lies before {@code tooLateBefore} (null: never) or after
     * {@code futureAfter}: only such rows get a raw record (the JSON of their original fields), which
     * is what a quarantine row stores. Rendering every row as JSON would cost more than the rest of
     * the read. With {@code futureAfter} null every row gets one.
     */
    public Dataset<Row> read(List<RawFile> files, java.time.Instant tooLateBefore, java.time.Instant futureAfter) {
        Dataset<Row> empty = spark.createDataFrame(List.of(), RawEvents.READ_SCHEMA);
        String[] parquet = files.stream().filter(f -> f.format() == RawFile.Format.PARQUET).map(RawFile::path).toArray(String[]::new);
        String[] json = files.stream().filter(f -> f.format() == RawFile.Format.JSON_LINES).map(RawFile::path).toArray(String[]::new);
        Dataset<Row> out = empty;
        if (parquet.length > 0) {
            parquetRead.addAll(Arrays.asList(parquet));
            out = out.unionByName(readParquet(parquet, tooLateBefore, futureAfter));
        }
        if (json.length > 0) {
            out = out.unionByName(readJsonLines(json));
        }
        return StorableValues.mark(out, limits);
    }

    private Dataset<Row> readParquet(String[] paths, java.time.Instant tooLateBefore, java.time.Instant futureAfter) {
        Column[] eventColumns = Arrays.stream(RawEvents.EVENT_SCHEMA.fieldNames()).map(c -> col(c)).toArray(Column[]::new);
        Column json = to_json(struct(eventColumns), Map.of("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"));
        Column raw = json;
        if (futureAfter != null) {
            Column ts = col(RawEvents.EVENT_TIMESTAMP);
            Column mayBeQuarantined = missing(RawEvents.EVENT_ID).or(missing(RawEvents.SHIPMENT_ID)).or(missing(RawEvents.STATUS))
                    .or(StorableValues.firstProblem(limits).isNotNull()).or(ts.isNull()).or(ts.gt(lit(java.sql.Timestamp.from(futureAfter))));
            if (tooLateBefore != null) {
                mayBeQuarantined = mayBeQuarantined.or(ts.lt(lit(java.sql.Timestamp.from(tooLateBefore))));
            }
            raw = org.apache.spark.sql.functions.when(mayBeQuarantined, json);
        }
        // Parquet timestamps with or without isAdjustedToUTC both read as TimestampType; the session
        // time zone is UTC, so naive ones are taken as UTC.
        return spark.read().schema(RawEvents.EVENT_SCHEMA).parquet(paths)
                .withColumn(RawEvents.RAW_RECORD, raw)
                .withColumn(RawEvents.SOURCE_FILE, input_file_name())
                .withColumn(RawEvents.MALFORMED, lit(false))
                .withColumn(RawEvents.MALFORMED_DETAIL, lit(null).cast("string"))
                .select(Arrays.stream(RawEvents.READ_SCHEMA.fieldNames()).map(c -> col(c)).toArray(Column[]::new));
    }

    /**
     * A run's failure, with the Parquet file that caused it named when Spark's words do not name it.
     * A file whose footer is garbage between two good magic numbers fails in the task that opens it
     * with "corrupted file: the footer index is not within the file" and no path (Spark wraps only
     * the errors of reading rows with the file's name); on such a failure each Parquet file read
     * since {@link #forgetReads()} is opened again on the driver, and the first that cannot be read is the run's
     * {@link InputFileException}. Costs nothing unless the run already failed.
     */
    public RuntimeException nameUnreadableParquet(RuntimeException failure) {
        if (failure instanceof InputFileException || InputFileException.findIn(failure).isPresent() || !mentionsParquet(failure)) {
            return failure;
        }
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        for (String path : List.copyOf(parquetRead)) {
            try (org.apache.parquet.hadoop.ParquetFileReader reader = org.apache.parquet.hadoop.ParquetFileReader.open(
                    org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new Path(path), conf))) {
                reader.getFooter();
            } catch (IOException | RuntimeException e) {
                String why = String.valueOf(e.getMessage());
                int nl = why.indexOf('\n');
                return new InputFileException(path, "corrupt Parquet file (" + (nl < 0 ? why : why.substring(0, nl)) + ")", failure);
            }
        }
        return failure;
    }

    /** Starts a new batch: the files of earlier batches are not this batch's to name. */
    public void forgetReads() {
        parquetRead.clear();
    }

    private static boolean mentionsParquet(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage()).toLowerCase(java.util.Locale.ROOT);
            if (m.contains("parquet") || m.contains("footer")) {
                return true;
            }
        }
        return false;
    }

    private static Column missing(String column) {
        return col(column).isNull().or(com.shipmenttimeline.transforms.EventValidation.isBlank(col(column)));
    }

    /** JSON Lines files, plain or gzip, streamed line by line ({@link JsonLinesFiles}). */
    private Dataset<Row> readJsonLines(String[] paths) {
        return JsonLinesFiles.read(spark, paths, maxLineBytes);
    }
}
