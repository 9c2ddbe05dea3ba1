package com.shipmenttimeline.jobs.source;

import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.transforms.JsonEventParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reads JSON Lines files, plain or gzip, as rows of {@link RawEvents#READ_SCHEMA}: each task opens
 * its files through Hadoop and streams them line by line through {@link JsonEventParser}, so a
 * file of any size costs a task one line's worth of memory, never the whole file. A truncated gzip
 * stream is caught and named, and an upper-case {@code .GZ} is decompressed too.
 */
final class JsonLinesFiles {
    private JsonLinesFiles() {}

    static Dataset<Row> read(SparkSession spark, String[] paths) {
        Conf conf = new Conf(spark.sparkContext().hadoopConfiguration());
        JsonEventParser parser = new JsonEventParser();
        int tasks = Math.max(1, Math.min(paths.length, spark.sparkContext().defaultParallelism() * 2));
        FlatMapFunction<String, Row> lines = path -> new LineIterator(path, conf.get(), parser);
        JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(Arrays.asList(paths), tasks).flatMap(lines);
        return spark.createDataFrame(rows, RawEvents.READ_SCHEMA);
    }

    /** A Hadoop configuration that travels to the tasks (it is Writable, not Serializable). */
    static final class Conf implements Serializable {
        private static final long serialVersionUID = 1L;
        private transient Configuration conf;

        Conf(Configuration conf) {
            this.conf = conf;
        }

        Configuration get() {
            return conf;
        }

        private void writeObject(ObjectOutputStream out) throws IOException {
            out.defaultWriteObject();
            conf.write(out);
        }

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            conf = new Configuration(false);
            conf.readFields(in);
        }
    }

    /** Streams the parsed rows of one file, decompressing as it goes; closes the file at its end. */
    static final class LineIterator implements Iterator<Row> {
        private final String path;
        private final BufferedReader reader;
        private final JsonEventParser parser;
        private String next;

        /** Opens the file named by {@code path} (qualified the way Spark's file sources name files). */
        LineIterator(String path, Configuration conf, JsonEventParser parser) throws IOException {
            this(qualified(path, conf), open(path, conf), parser);
        }

        LineIterator(String path, InputStream raw, JsonEventParser parser) throws IOException {
            this.path = path;
            this.parser = parser;
            InputStream in = raw;
            if (path.toLowerCase(Locale.ROOT).endsWith(".gz")) {
                try {
                    in = new GZIPInputStream(in, 64 * 1024);
                } catch (IOException e) {
                    raw.close();
                    throw new InputFileException(path, "not a gzip stream (" + e.getMessage() + ")", e);
                }
            }
            this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 64 * 1024);
            advance();
        }

        private static String qualified(String path, Configuration conf) throws IOException {
            Path p = new Path(path);
            return p.getFileSystem(conf).makeQualified(p).toString();
        }

        private static InputStream open(String path, Configuration conf) throws IOException {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(conf);
            try {
                return fs.open(p);
            } catch (IOException e) {
                throw new InputFileException(p.toString(), "cannot be opened (" + e.getMessage() + ")", e);
            }
        }

        private void advance() {
            try {
                String line;
                do {
                    line = reader.readLine();
                } while (line != null && JsonEventParser.isBlankLine(line));
                next = line;
                if (line == null) {
                    reader.close();
                }
            } catch (IOException e) {
                closeQuietly();
                throw new InputFileException(path, "truncated or corrupt (" + e.getMessage() + ")", e);
            }
        }

        private void closeQuietly() {
            try {
                reader.close();
            } catch (IOException ignored) {
                // the read already failed; that is the error to report
            }
        }

        @Override
        public boolean hasNext() {
            return next != null;
        }

        @Override
        public Row next() {
            if (next == null) {
                throw new NoSuchElementException();
            }
            Row row = parser.parse(next, path);
            advance();
            return row;
        }
    }
}
