package com.shipmenttimeline.jobs.cli;

/** The launcher's exit codes, as {@code --help} lists them. */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    public static final int BAD_INPUT = 3;
    public static final int BUSY = 4;
    public static final int CRITICAL = 5;

    private ExitCodes() {}
}
