package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.cli.Commands;
import com.shipmenttimeline.jobs.cli.ExitCodes;
import java.io.PrintStream;

/**
 * The one entry point, for spark-submit on EMR and for the local launcher: parse, build, run,
 * stop Spark, exit with a code (the work is {@link Commands}'). User errors are one line on stderr
 * and exit 2; stack traces are for bugs.
 */
public final class Launcher {
    public static final int OK = ExitCodes.OK;
    public static final int FAILED = ExitCodes.FAILED;
    public static final int USAGE = ExitCodes.USAGE;
    public static final int BAD_INPUT = ExitCodes.BAD_INPUT;
    public static final int BUSY = ExitCodes.BUSY;
    public static final int CRITICAL = ExitCodes.CRITICAL;

    private Launcher() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return new Commands(out, err).run(args);
    }
}
