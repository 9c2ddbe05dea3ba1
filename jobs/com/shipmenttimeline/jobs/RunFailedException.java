package com.shipmenttimeline.jobs;

/**
 * A run that did not succeed, where no exit code can carry it: thrown from {@link Launcher#main} when
 * YARN runs the driver (cluster mode; the ApplicationMaster reports the application FAILED with this
 * message in its diagnostics), and from {@link ShipmentTimeline#run} in a caller's session.
 */
public final class RunFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public RunFailedException(int exitCode, String complaint) {
        super("timeline: " + (complaint == null ? "failed" : complaint) + " (exit code " + exitCode + ")");
        this.exitCode = exitCode;
    }

    /** The exit code the launcher gives the same failure elsewhere (see {@code timeline --help}). */
    public int exitCode() {
        return exitCode;
    }
}
