package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.jobs.config.Settings;

/** The warehouse failed: unreachable, a statement rejected, a transaction rolled back. */
public final class WarehouseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public WarehouseException(String message, Throwable cause) {
        super(message + (cause == null ? "" : ": " + Settings.oneLine(cause.getMessage())), cause);
    }
}
