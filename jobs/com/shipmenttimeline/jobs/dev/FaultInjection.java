package com.shipmenttimeline.jobs.dev;

import com.shipmenttimeline.jobs.run.RunPoints;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash points for the kill-and-recover tests: with the system property
 * {@code timeline.test.crash-at=<point>}, the process halts at once (exit 137, no shutdown hooks,
 * as a kill -9 would) when it reaches that {@link RunPoints point}. The launcher installs it; unset
 * in production, where it costs one lookup per point.
 */
public final class FaultInjection {
    private static final Logger LOG = LoggerFactory.getLogger(FaultInjection.class);
    public static final String PROPERTY = "timeline.test.crash-at";

    public static final String AFTER_READ = RunPoints.AFTER_READ;
    public static final String AFTER_LAKE_WRITE = RunPoints.AFTER_LAKE_WRITE;
    public static final String BEFORE_COMMIT = RunPoints.BEFORE_COMMIT;
    public static final String IN_TRANSACTION = RunPoints.IN_TRANSACTION;
    public static final String AFTER_COMMIT = RunPoints.AFTER_COMMIT;

    private FaultInjection() {}

    /** Installs the halting hook when the property names a point. */
    public static void installFromSystemProperty() {
        String at = System.getProperty(PROPERTY);
        if (at == null || at.isEmpty()) {
            return;
        }
        RunPoints.install(point -> {
            if (point.equals(at)) {
                LOG.warn("fault injection: halting at {}", point);
                Runtime.getRuntime().halt(137);
            }
        });
    }
}
