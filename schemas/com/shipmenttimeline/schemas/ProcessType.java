package com.shipmenttimeline.schemas;

/** The {@code process_type} of a timeline row and of a run. */
public enum ProcessType {
    DAILY_BASE("daily_base"),
    INCREMENTAL("incremental"),
    BACKFILL("backfill");

    private final String value;

    ProcessType(String value) {
        this.value = value;
    }

    /** The value stored in the warehouse. */
    public String value() {
        return value;
    }
}
