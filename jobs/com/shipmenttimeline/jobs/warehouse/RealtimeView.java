package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.schemas.WarehouseDdl;
import com.shipmenttimeline.schemas.WarehouseSql;

/**
 * The realtime view of section 6. A materialized view sees only committed rows, so it is refreshed
 * after the commit; the checkpoint's status then moves from committed to refreshed, so that a run
 * killed between its commit and its refresh is made good by the next run ({@link #refreshPending}).
 */
public final class RealtimeView {
    private final Connections connections;
    private final WarehouseDdl ddl;
    private final Ledger ledger;
    private final WarehouseObjects objects;

    RealtimeView(Connections connections, WarehouseDdl ddl, Ledger ledger, WarehouseObjects objects) {
        this.connections = connections;
        this.ddl = ddl;
        this.ledger = ledger;
        this.objects = objects;
    }

    public boolean materialized() {
        return ddl.materializedView();
    }

    public void refresh() {
        new WarehouseSql(ddl).refresh().ifPresent(st -> Sql.execute(connections, st.sql()));
        ledger.markRefreshed();
    }

    /** True when a commit has not been followed by a view refresh yet. */
    public boolean refreshPending() {
        return ledger.refreshPending();
    }

    /** Drops the view, whichever kind it is now, and creates it as configured. */
    public void rebuild() {
        objects.dropRealtimeView();
        objects.ensure();
    }
}
