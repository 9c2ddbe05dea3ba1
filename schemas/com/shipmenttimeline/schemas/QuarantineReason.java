package com.shipmenttimeline.schemas;

/** Why a raw row was quarantined (contract section 2), in the order the checks apply. */
public enum QuarantineReason {
    MALFORMED,
    MISSING_EVENT_ID,
    MISSING_SHIPMENT_ID,
    MISSING_EVENT_TIMESTAMP,
    MISSING_STATUS,
    FUTURE_TIMESTAMP,
    TOO_LATE;

    /** The {@code processing_runs} column that counts this reason. */
    public String countColumn() {
        return "quarantined_" + name().toLowerCase(java.util.Locale.ROOT);
    }
}
