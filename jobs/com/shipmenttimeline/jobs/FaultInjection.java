package com.shipmenttimeline.jobs;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash points for the kill-and-recover tests: with the system property
 * {@code timeline.test.crash-at=<point>}, the process halts at once (exit 137, no shutdown hooks,
 * as a kill -9 would) when it reaches that point. Unset in production, where it costs one lookup.
 */
public final class FaultInjection {
    private static final Logger LOG = LoggerFactory.getLogger(FaultInjection.class);
    public static final String PROPERTY = "timeline.test.crash-at";

    public static final String AFTER_READ = "after-read";
    public static final String AFTER_LAKE_WRITE = "after-lake-write";
    public static final String BEFORE_COMMIT = "before-commit";
    /** Inside the warehouse transaction: every statement ran, COMMIT has not been sent. */
    public static final String IN_TRANSACTION = "in-transaction";
    /** After the commit, before the view refresh. */
    public static final String AFTER_COMMIT = "after-commit";

    private FaultInjection() {}

    public static void point(String name) {
        if (name.equals(System.getProperty(PROPERTY))) {
            LOG.warn("fault injection: halting at {}", name);
            Runtime.getRuntime().halt(137);
        }
    }
}
