package com.shipmenttimeline.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class WarehouseDdlTest {
    @Test
    void timelineColumnsFollowTheContractOrder() {
        assertEquals(List.of("shipment_id", "event_id", "event_timestamp", "event_sequence", "event_type", "status", "location_id",
                "location_name", "region", "package_count", "total_weight_kg", "promised_delivery_timestamp",
                "time_since_prev_event_seconds", "cumulative_transit_hours", "prev_status", "prev_location_id", "is_location_change",
                "status_start_timestamp", "time_in_status_seconds", "prev_status_duration_seconds", "hours_to_promise", "is_past_promise",
                "ingested_at", "processed_timestamp", "process_type", "incremental_batch_id", "incremental_processed_at"),
                List.of(TimelineColumns.names(TimelineColumns.INCREMENTAL)));
    }

    @Test
    void everyObjectOfSection6IsCreatedInBothFlavours() {
        for (SqlDialect d : SqlDialect.values()) {
            String script = new WarehouseDdl(d, "st").script();
            for (String o : List.of("processing_checkpoints", "shipment_timeline_base", "shipment_timeline_incremental",
                    "shipment_timeline_realtime", "processing_runs")) {
                assertTrue(script.contains("st." + o + " "), d + " " + o);
            }
        }
        String redshift = new WarehouseDdl(SqlDialect.REDSHIFT, "st").script();
        assertEquals(2, redshift.split("DISTKEY\\(shipment_id\\) SORTKEY\\(shipment_id, event_timestamp\\)").length - 1,
                "base and incremental");
        assertTrue(redshift.contains("CREATE VIEW st.shipment_timeline_realtime AS"), "a plain view by default");
        assertTrue(redshift.contains("PRIMARY KEY (shipment_id)\n) DISTKEY(shipment_id) SORTKEY(shipment_id)"), "the state table, by shipment");
        assertFalse(redshift.contains("INHERITS"), "Redshift's base is one table");
        String postgres = new WarehouseDdl(SqlDialect.POSTGRES, "st").script();
        for (String child : List.of("shipment_timeline_base_history", "shipment_timeline_base_window")) {
            assertTrue(postgres.contains("CREATE TABLE IF NOT EXISTS st." + child + " () INHERITS (st.shipment_timeline_base)"), child);
            assertTrue(postgres.contains("CREATE UNIQUE INDEX IF NOT EXISTS " + child + "_event_id ON st." + child + " (event_id)"), child);
        }
        String materialized = new WarehouseDdl(SqlDialect.REDSHIFT, "st", true).script();
        assertEquals(3, materialized.split("DISTKEY\\(shipment_id\\) SORTKEY\\(shipment_id, event_timestamp\\)").length - 1,
                "base, incremental and the materialized view");
    }

    @Test
    void identifiersFromConfigurationAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new WarehouseDdl(SqlDialect.POSTGRES, "public; DROP TABLE x"));
        assertThrows(IllegalArgumentException.class, () -> new WarehouseDdl(SqlDialect.POSTGRES, "Public"));
        assertThrows(IllegalArgumentException.class, () -> new WarehouseDdl(SqlDialect.POSTGRES, "1abc"));
        assertEquals("ok_1.processing_runs", new WarehouseDdl(SqlDialect.POSTGRES, "ok_1").qualified("processing_runs"));
    }
}
