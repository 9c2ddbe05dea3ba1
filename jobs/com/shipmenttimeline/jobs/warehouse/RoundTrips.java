package com.shipmenttimeline.jobs.warehouse;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The warehouse work that costs most on Redshift, counted as this code asks for it (the same calls
 * on PostgreSQL and on Redshift, so a test counts them without a cluster): bulk loads (a COPY from
 * S3 each, through the connector), bulk reads (an UNLOAD to S3 each), staging tables created (each
 * created, analyzed and dropped), and keyed queries (plain SELECTs by key, {@link KeyedReads}).
 * PostgreSQL's own loader claims each load's partitions in a small table of its own; that table is
 * PostgreSQL's alone and not counted.
 */
public final class RoundTrips {
    private final AtomicLong copies = new AtomicLong();
    private final AtomicLong unloads = new AtomicLong();
    private final AtomicLong stagingTables = new AtomicLong();
    private final AtomicLong queries = new AtomicLong();

    /** The counts at one moment; {@link #since} gives what happened between two. */
    public record Counts(long copies, long unloads, long stagingTables, long keyedQueries) {
        public Counts since(Counts before) {
            return new Counts(copies - before.copies, unloads - before.unloads, stagingTables - before.stagingTables,
                    keyedQueries - before.keyedQueries);
        }

        @Override
        public String toString() {
            return copies + " COPY, " + unloads + " UNLOAD, " + stagingTables + " staging tables, " + keyedQueries + " keyed queries";
        }
    }

    public Counts now() {
        return new Counts(copies.get(), unloads.get(), stagingTables.get(), queries.get());
    }

    void copy() {
        copies.incrementAndGet();
    }

    void unload() {
        unloads.incrementAndGet();
    }

    void stagingTable() {
        stagingTables.incrementAndGet();
    }

    void query() {
        queries.incrementAndGet();
    }
}
