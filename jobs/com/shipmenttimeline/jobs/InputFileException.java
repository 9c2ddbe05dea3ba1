package com.shipmenttimeline.jobs;

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

    /** The input-file error buried in a Spark failure, if there is one. */
    public static java.util.Optional<String> findIn(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m == null) {
                continue;
            }
            int at = m.indexOf(MARKER);
            if (at >= 0) {
                String rest = m.substring(at);
                int nl = rest.indexOf('\n');
                return java.util.Optional.of(nl < 0 ? rest : rest.substring(0, nl));
            }
            // Spark's own words for a Parquet file it cannot read or convert.
            if (c.getClass().getName().endsWith("SchemaColumnConvertNotSupportedException")
                    || c.getClass().getName().endsWith("ParquetDecodingException")
                    || m.contains("is not a Parquet file") || m.contains("Could not read footer")
                    || m.contains("Parquet column cannot be converted") || m.contains("FAILED_READ_FILE")
                    || m.contains("Encountered error while reading file")) {
                return java.util.Optional.of(MARKER + firstLine(m));
            }
        }
        return java.util.Optional.empty();
    }

    private static String firstLine(String m) {
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
