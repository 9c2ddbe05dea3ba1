package com.shipmenttimeline.jobs.source;

/**
 * A raw or reference file that the run cannot take: an unknown extension, a corrupt or truncated
 * file, a column of the wrong type. The run stops, commits nothing, and exits with code 3.
 */
public final class InputFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Every message starts with this, so that it can be found in a Spark task failure's text. */
    public static final String MARKER = "unreadable input file ";

    public InputFileException(String path, String why) {
        super(MARKER + path + ": " + why);
    }

    public InputFileException(String path, String why, Throwable cause) {
        super(MARKER + path + ": " + why, cause);
    }

    private InputFileException(Throwable cause, String message) {
        super(message, cause);
    }

    /** Re-raises the input-file error found in a Spark failure as this type, with that error's words. */
    public static InputFileException wrapping(String message, Throwable sparkFailure) {
        return new InputFileException(sparkFailure, message);
    }

    /**
     * The input-file error buried in a Spark failure, if there is one. Spark repeats a task's error
     * in each wrapper ("Job aborted due to stage failure: ... Lost task ..."); the deepest cause that
     * still names the file has the plainest words, so that one is taken.
     */
    public static java.util.Optional<String> findIn(Throwable t) {
        String first = null;
        String deepestNamingAFile = null;
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m == null) {
                continue;
            }
            int at = m.indexOf(MARKER);
            if (at >= 0) {
                return java.util.Optional.of(firstLine(m.substring(at)));
            }
            // Spark's own words for a Parquet file it cannot read or convert.
            if (c.getClass().getName().endsWith("SchemaColumnConvertNotSupportedException")
                    || c.getClass().getName().endsWith("ParquetDecodingException")
                    || m.contains("is not a Parquet file") || m.contains("Could not read footer")
                    || m.contains("Parquet column cannot be converted") || m.contains("FAILED_READ_FILE")
                    || m.contains("Encountered error while reading file")) {
                String line = firstLine(m);
                first = first == null ? line : first;
                if (line.contains("file:") || line.contains("://")) {
                    deepestNamingAFile = line;
                }
            }
        }
        String found = deepestNamingAFile != null ? deepestNamingAFile : first;
        return java.util.Optional.ofNullable(found).map(f -> MARKER + f);
    }

    private static String firstLine(String m) {
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
