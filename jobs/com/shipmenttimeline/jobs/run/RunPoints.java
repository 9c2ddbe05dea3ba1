package com.shipmenttimeline.jobs.run;

import java.util.function.Consumer;

/**
 * The named points a run passes on its way to the commit (contract section 5's steps). Nothing
 * happens at a point unless a hook is installed: the kill-and-recover tests install one that halts
 * the process there ({@code dev.FaultInjection}), which keeps test tooling out of the run path.
 */
public final class RunPoints {
    public static final String AFTER_READ = "after-read";
    public static final String AFTER_LAKE_WRITE = "after-lake-write";
    public static final String BEFORE_COMMIT = "before-commit";
    /** Inside the warehouse transaction: every statement ran, COMMIT has not been sent. */
    public static final String IN_TRANSACTION = "in-transaction";
    /** After the commit, before the view refresh. */
    public static final String AFTER_COMMIT = "after-commit";

    private static volatile Consumer<String> hook;

    private RunPoints() {}

    /** Installs the one hook that sees every point reached (null removes it). */
    public static void install(Consumer<String> h) {
        hook = h;
    }

    static void reached(String point) {
        Consumer<String> h = hook;
        if (h != null) {
            h.accept(point);
        }
    }
}
