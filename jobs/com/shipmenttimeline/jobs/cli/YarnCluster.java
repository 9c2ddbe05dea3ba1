package com.shipmenttimeline.jobs.cli;

/**
 * Whether this JVM is a driver that YARN's ApplicationMaster runs ({@code spark-submit --master yarn
 * --deploy-mode cluster}, as every EMR step but the monitor runs). Spark's ApplicationMaster sets these
 * system properties before it calls the user class. There, the application's status is what the user
 * class reports by returning or throwing: {@code System.exit} before that is reported as a failure
 * ("Shutdown hook called before final status was reported", exit code 16), even {@code System.exit(0)}.
 */
public final class YarnCluster {
    private YarnCluster() {}

    public static boolean isClusterDriver() {
        return "cluster".equals(System.getProperty("spark.submit.deployMode"))
                && System.getProperty("spark.master", "").startsWith("yarn")
                && System.getProperty("spark.yarn.app.id") != null;
    }
}
