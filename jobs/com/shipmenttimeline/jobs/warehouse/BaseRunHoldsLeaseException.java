package com.shipmenttimeline.jobs.warehouse;

import java.time.Duration;

/**
 * An incremental run found a base run holding the timeline lease and waited for it as long as
 * {@code timeline.incremental.wait-for-base} allows. Not a failure: the run changed nothing, and its
 * new files are read by the next incremental run (a planned overlap with the nightly run).
 */
public final class BaseRunHoldsLeaseException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String holderRunId;

    public BaseRunHoldsLeaseException(String holderRunId, Duration waited) {
        super("base run " + holderRunId + " holds the lease; files left for the next trigger (waited " + waited.toSeconds() + " s)");
        this.holderRunId = holderRunId;
    }

    public String holderRunId() {
        return holderRunId;
    }
}
