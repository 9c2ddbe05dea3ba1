package com.shipmenttimeline.jobs.config;

/** A user error: a bad flag, a bad config value, a missing file. One line to the user, exit code 2. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
