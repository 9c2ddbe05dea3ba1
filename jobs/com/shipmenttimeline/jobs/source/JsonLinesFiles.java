package com.shipmenttimeline.jobs.source;

import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.transforms.JsonEventParser;
import java.io.IOException;
import java.io.InputStream;
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

    /** @param maxLineBytes a longer line is quarantined with its first {@link #KEPT_BYTES} bytes, never held whole */
    static Dataset<Row> read(SparkSession spark, String[] paths, int maxLineBytes) {
        Conf conf = new Conf(spark.sparkContext().hadoopConfiguration());
        JsonEventParser parser = new JsonEventParser();
        int tasks = Math.max(1, Math.min(paths.length, spark.sparkContext().defaultParallelism() * 2));
        FlatMapFunction<String, Row> lines = path -> new LineIterator(path, conf.get(), parser, maxLineBytes);
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

    /** How many bytes of a line over the limit its quarantine row keeps. */
    static final int KEPT_BYTES = 1024;

    /**
     * Streams the parsed rows of one file, decompressing as it goes; closes the file at its end. Lines
     * end at {@code \n} (a {@code \r} before it is dropped) and are decoded as strict UTF-8: a line
     * that is not valid UTF-8, or longer than the limit, is a malformed row saying so (contract section
     * 5: never a row silently changed, never a task out of memory).
     */
    static final class LineIterator implements Iterator<Row> {
        private final String path;
        private final InputStream in;
        private final JsonEventParser parser;
        private final int maxLineBytes;
        private final java.nio.charset.CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT).onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        private byte[] buffer = new byte[8 * 1024];
        private long lineNumber;
        private Row next;

        /** Opens the file named by {@code path} (qualified the way Spark's file sources name files). */
        LineIterator(String path, Configuration conf, JsonEventParser parser, int maxLineBytes) throws IOException {
            this(qualified(path, conf), open(path, conf), parser, maxLineBytes);
        }

        LineIterator(String path, InputStream raw, JsonEventParser parser, int maxLineBytes) throws IOException {
            this.path = path;
            this.parser = parser;
            this.maxLineBytes = maxLineBytes;
            InputStream stream = raw;
            if (path.toLowerCase(Locale.ROOT).endsWith(".gz")) {
                try {
                    stream = new GZIPInputStream(stream, 64 * 1024);
                } catch (IOException e) {
                    raw.close();
                    throw new InputFileException(path, "not a gzip stream (" + e.getMessage() + ")", e);
                }
            }
            this.in = new java.io.BufferedInputStream(stream, 64 * 1024);
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

        private final byte[] chunk = new byte[64 * 1024];
        private int pos;
        private int limit;

        /** The next row: a parsed line, or a malformed one; null at the end of the file. */
        private void advance() {
            try {
                next = null;
                while (next == null) {
                    int length = 0;
                    long total = 0;
                    boolean ended = false;
                    byte last = 0;
                    while (!ended) {
                        if (pos >= limit) {
                            limit = in.read(chunk);
                            pos = 0;
                            if (limit <= 0) {
                                limit = 0;
                                break;
                            }
                        }
                        int i = pos;
                        while (i < limit && chunk[i] != '\n') {
                            i++;
                        }
                        int n = i - pos;
                        int room = (int) Math.min(n, Math.max(0, (long) maxLineBytes - length));
                        if (room > 0) {
                            if (length + room > buffer.length) {
                                buffer = Arrays.copyOf(buffer, (int) Math.min(maxLineBytes, Math.max((long) buffer.length * 2, length + room)));
                            }
                            System.arraycopy(chunk, pos, buffer, length, room);
                            length += room;
                        }
                        total += n;
                        if (n > 0) {
                            last = chunk[i - 1];
                        }
                        ended = i < limit;
                        pos = ended ? i + 1 : i;
                    }
                    if (!ended && total == 0) {
                        in.close();
                        return;
                    }
                    lineNumber++;
                    if (total > 0 && last == '\r') {
                        if (total == length) {
                            length--;
                        }
                        total--;
                    }
                    next = row(length, total);
                }
            } catch (IOException e) {
                closeQuietly();
                throw new InputFileException(path, "truncated or corrupt (" + e.getMessage() + ")", e);
            }
        }

        /** The row of a line of {@code total} bytes whose first {@code length} are in the buffer; null for a blank line. */
        private Row row(int length, long total) {
            if (total > maxLineBytes) {
                String head = new String(buffer, 0, Math.min(length, KEPT_BYTES), StandardCharsets.UTF_8);
                return JsonEventParser.malformed(head, path, "line " + lineNumber + " is " + total + " bytes, over timeline.validation.max-line-length ("
                        + maxLineBytes + " bytes); its first " + Math.min(length, KEPT_BYTES) + " bytes are kept");
            }
            String line;
            try {
                line = decoder.reset().decode(java.nio.ByteBuffer.wrap(buffer, 0, length)).toString();
            } catch (java.nio.charset.CharacterCodingException e) {
                return JsonEventParser.malformed(new String(buffer, 0, length, StandardCharsets.UTF_8), path,
                        "line " + lineNumber + " is not valid UTF-8 (" + e.getMessage() + "); the raw record shows each bad byte as U+FFFD");
            }
            return JsonEventParser.isBlankLine(line) ? null : parser.parse(line, path);
        }

        private void closeQuietly() {
            try {
                in.close();
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
            Row row = next;
            advance();
            return row;
        }
    }
}
