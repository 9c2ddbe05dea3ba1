package com.shipmenttimeline.jobs.run;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;

/** Run ids: {@code <type>-<yyyymmddThhmmss>-<random>}, lower case, safe inside SQL identifiers once dashes become underscores. */
public final class RunIds {
    private RunIds() {}

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    public static String next(String processType, Instant now) {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        String type = processType.replace("daily_base", "base").replace("incremental", "inc");
        return (type + "-" + STAMP.format(now) + "-" + HexFormat.of().formatHex(b)).toLowerCase(Locale.ROOT);
    }

    /** A staging table name owned by one run. */
    public static String staging(String runId, String what) {
        return "stg_" + runId.replace('-', '_') + "_" + what;
    }
}
