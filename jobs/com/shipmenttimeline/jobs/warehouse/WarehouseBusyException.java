package com.shipmenttimeline.jobs.warehouse;

/** Another run holds the warehouse lease and did not let go within the wait. Exit code 4. */
public final class WarehouseBusyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public WarehouseBusyException(String message) {
        super(message);
    }
}
