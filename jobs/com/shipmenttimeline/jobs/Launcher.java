package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.cli.Commands;
import com.shipmenttimeline.jobs.cli.ExitCodes;
import com.shipmenttimeline.jobs.cli.YarnCluster;
import java.io.PrintStream;

/**
 * The one entry point, for spark-submit on EMR and for the local launcher: parse, build, run,
 * stop Spark, exit with a code (the work is {@link Commands}'). User errors are one line on stderr
 * and exit 2; stack traces are for bugs. Under YARN cluster mode there is no exit code to give: a
 * run that succeeded returns, one that failed throws {@link RunFailedException} with its line and code,
 * and YARN reports the application SUCCEEDED or FAILED (see {@link YarnCluster}).
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
        Commands commands = new Commands(System.out, System.err);
        int code = commands.run(args);
        if (YarnCluster.isClusterDriver()) {
            if (code == OK) {
                return;
            }
            throw new RunFailedException(code, commands.complaint());
        }
        System.exit(code);
    }

    /** Runs one command line; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return new Commands(out, err).run(args);
    }
}
