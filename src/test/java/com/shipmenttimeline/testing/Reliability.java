package com.shipmenttimeline.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What the fault tests saw, for the reliability table (docs/reliability.md): a test that passed appends one
 * line (fault, what happened) to target/reliability/observed.tsv; bench/reliability turns the
 * file of a full run into the table. Only passing tests record, after their assertions.
 */
public final class Reliability {
    public static final Path FILE = Path.of("target", "reliability", "observed.tsv");

    private Reliability() {}

    public static synchronized void record(String area, String fault, String outcome) {
        String line = String.join("\t", clean(area), clean(fault), clean(outcome)) + "\n";
        try {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One line, no tabs, no table pipes, and a test's temporary folders cut down to the file name. */
    private static String clean(String s) {
        return s.replaceAll("(file:/+|s3a://)[^\\s]*/", "").replace('\t', ' ').replace('\n', ' ').replace("|", "\\|");
    }
}
