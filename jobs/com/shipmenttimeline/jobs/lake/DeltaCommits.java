package com.shipmenttimeline.jobs.lake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A Delta table's newest commits, read as the Delta protocol lays them out, without Spark: the
 * {@code _delta_log/_last_checkpoint} file names the last checkpoint's version, each commit
 * {@code _delta_log/<version, 20 digits>.json} holds one action a line, its {@code commitInfo}
 * the writer's {@code userMetadata}. A few small reads (on S3: a GET or a HEAD each) where a
 * DeltaLog and its history cost Spark jobs: the cold start of every incremental step reads them.
 */
final class DeltaCommits {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileSystem fs;
    private final Path log;

    DeltaCommits(String table, Configuration hadoop) {
        this.log = new Path(table, "_delta_log");
        try {
            this.fs = log.getFileSystem(hadoop);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + table, e);
        }
    }

    /** Whether the table has a commit log. */
    boolean exists() {
        try {
            return fs.exists(log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + log, e);
        }
    }

    /**
     * The newest version: from the last checkpoint's (or 0) on, the last commit file that is there
     * (a HEAD each). Empty when there is no commit.
     */
    OptionalLong latestVersion() {
        OptionalLong checkpoint = lastCheckpoint();
        long v = checkpoint.orElse(0L);
        if (checkpoint.isEmpty() && !commitExists(0)) {
            return OptionalLong.empty();
        }
        while (commitExists(v + 1)) {
            v++;
        }
        return OptionalLong.of(v);
    }

    /** The {@code userMetadata} of a commit (empty when it has none), or empty when the commit file is gone (log clean-up). */
    Optional<Optional<String>> userMetadata(long version) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(commit(version)), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                JsonNode info = JSON.readTree(line).get("commitInfo");
                if (info != null) {
                    JsonNode tag = info.get("userMetadata");
                    return Optional.of(tag == null || tag.isNull() ? Optional.empty() : Optional.of(tag.asText()));
                }
            }
            return Optional.of(Optional.empty());
        } catch (FileNotFoundException gone) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + commit(version), e);
        }
    }

    private OptionalLong lastCheckpoint() {
        Path last = new Path(log, "_last_checkpoint");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(last), StandardCharsets.UTF_8))) {
            return OptionalLong.of(JSON.readTree(r).get("version").asLong());
        } catch (FileNotFoundException none) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + last, e);
        }
    }

    private boolean commitExists(long version) {
        try {
            return fs.exists(commit(version));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + log, e);
        }
    }

    private Path commit(long version) {
        return new Path(log, String.format("%020d.json", version));
    }
}
