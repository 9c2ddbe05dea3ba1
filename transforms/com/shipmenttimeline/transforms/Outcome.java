package com.shipmenttimeline.transforms;

import com.shipmenttimeline.schemas.QuarantineReason;

/**
 * Where a row read ends (contract section 2). The quarantine outcomes carry the name of their
 * {@link QuarantineReason}; the others are the non-quarantine places.
 */
public final class Outcome {
    private Outcome() {}

    /** The column that {@link EventOutcomes} adds: a reason name or one of the constants below. */
    public static final String COLUMN = "outcome";

    public static final String TIMELINE = "TIMELINE";
    public static final String DUPLICATE = "DUPLICATE";
    public static final String ALREADY_PROCESSED = "ALREADY_PROCESSED";

    public static boolean isQuarantine(String outcome) {
        for (QuarantineReason r : QuarantineReason.values()) {
            if (r.name().equals(outcome)) {
                return true;
            }
        }
        return false;
    }
}
