package com.shipmenttimeline.jobs.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.testing.TestWarehouse;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The fenced lease of contract section 5 ("Failure"), on the real PostgreSQL server: a run commits
 * and writes the lake only while it holds the lease by the warehouse's own clock.
 */
class WarehouseLeaseTest {
    private static final Duration TTL = Duration.ofMillis(1500);

    private static WarehouseLease take(Warehouse w, String runId, Clock clock) {
        return WarehouseLease.acquire(w, runId, "incremental", TTL, Duration.ZERO, clock);
    }

    /** A holder whose renewer stalls past the TTL is taken over, and then neither commits nor writes the lake. */
    @Test
    void aRunWhoseLeaseLapsedAndWasTakenOverCommitsNothingAndWritesNoLake() throws Exception {
        String schema = TestWarehouse.freshSchemaWithObjects();
        try (Warehouse w = TestWarehouse.open(schema)) {
            WarehouseLease stalled = take(w, "run-a", Clock.systemUTC());
            stalled.stopRenewing();
            assertThrows(WarehouseBusyException.class, () -> take(w, "run-b", Clock.systemUTC()), "held while unlapsed");
            Thread.sleep(TTL.toMillis() + 500);
            try (WarehouseLease taker = take(w, "run-b", Clock.systemUTC())) {
                WarehouseException refused = assertThrows(WarehouseException.class, () -> w.transactions().inTransaction(c -> {
                    stalled.fence(c);
                    return null;
                }));
                assertTrue(refused.getCause().getMessage().contains("run-a lost the timeline lease"), refused.getCause().getMessage());
                WarehouseException noLake = assertThrows(WarehouseException.class, () -> stalled.check("write the lake"));
                assertTrue(noLake.getMessage().contains("before it would write the lake"), noLake.getMessage());
                w.transactions().inTransaction(c -> {
                    taker.fence(c);
                    return null;
                });
                taker.check("write the lake");
            }
            stalled.close(); // releases nothing of the new holder's: it names run-a
        }
    }

    /** A lapsed lease nobody took is lost too: the fence reads the expiry, not only the holder. */
    @Test
    void aLapsedLeaseFencesEvenWhenNobodyTookIt() throws Exception {
        String schema = TestWarehouse.freshSchemaWithObjects();
        try (Warehouse w = TestWarehouse.open(schema); WarehouseLease lease = take(w, "run-a", Clock.systemUTC())) {
            lease.stopRenewing();
            Thread.sleep(TTL.toMillis() + 500);
            assertThrows(WarehouseException.class, () -> lease.check("write the lake"));
        }
    }

    /**
     * The hosts' clocks are never read: a taker whose clock runs an hour fast does not take a live
     * lease (before, the expiry was compared with the taker's own clock), and a holder whose clock
     * runs an hour slow keeps it renewed.
     */
    @Test
    void clockSkewBetweenHostsCannotTakeOrKeepALease() throws Exception {
        String schema = TestWarehouse.freshSchemaWithObjects();
        Clock slow = Clock.offset(Clock.systemUTC(), Duration.ofHours(-1));
        Clock fast = Clock.offset(Clock.systemUTC(), Duration.ofHours(1));
        try (Warehouse w = TestWarehouse.open(schema); WarehouseLease holder = take(w, "run-a", slow)) {
            Thread.sleep(TTL.toMillis() + 500); // renewed meanwhile
            assertThrows(WarehouseBusyException.class, () -> take(w, "run-b", fast));
            holder.check("write the lake");
            assertEquals("run-a", TestWarehouse.query("SELECT holder_run_id FROM " + schema + ".timeline_lease").get(0).get("holder_run_id"));
        }
    }

    /** The fence locks the lease row until the commit ends: a taker waits, then finds it renewed. */
    @Test
    void noRunTakesTheLeaseWhileACommitHoldsItsFence() throws Exception {
        String schema = TestWarehouse.freshSchemaWithObjects();
        try (Warehouse w = TestWarehouse.open(schema); WarehouseLease holder = take(w, "run-a", Clock.systemUTC())) {
            holder.stopRenewing();
            w.transactions().inTransaction(c -> {
                holder.fence(c);
                try {
                    Thread.sleep(TTL.toMillis() + 500); // the expiry written by the fence lies ahead; the row is locked
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return null;
            });
            // The commit renewed it for a TTL from the fence: it lapses only a TTL after that.
            Thread.sleep(TTL.toMillis() + 500);
            try (WarehouseLease taker = take(w, "run-b", Clock.systemUTC())) {
                assertThrows(WarehouseException.class, () -> holder.check("write the lake"));
            }
        }
    }
}
