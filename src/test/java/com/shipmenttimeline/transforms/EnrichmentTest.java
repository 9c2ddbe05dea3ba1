package com.shipmenttimeline.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.testing.EventRows;
import com.shipmenttimeline.testing.SharedSpark;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class EnrichmentTest {
    private static final Dataset<Row> LOCATIONS = SharedSpark.rows(RawEvents.LOCATION_SCHEMA,
            new Object[] {"L1", "Memphis hub", "us-central", "US", "America/Chicago"},
            new Object[] {"L2", "Leipzig hub", "eu-central", "DE", "Europe/Berlin"},
            new Object[] {"L2", "Leipzig (old name)", "eu-central", "DE", "Europe/Berlin"},
            new Object[] {null, "nowhere", null, null, null});

    private static final Dataset<Row> PACKAGES = SharedSpark.rows(RawEvents.PACKAGE_SCHEMA,
            new Object[] {"p1", "s1", 2.5, EventRows.ts("2025-07-05T00:00:00Z")},
            new Object[] {"p2", "s1", null, EventRows.ts("2025-07-04T12:00:00Z")},
            new Object[] {"p3", "s1", 1.0, null},
            new Object[] {"p4", "s2", null, null});

    private static Map<String, Row> enrich() {
        Dataset<Row> events = EventRows.of()
                .add("e1", "s1", "2025-07-01T00:00:00Z", "A", "L1")
                .add("e2", "s2", "2025-07-01T00:00:00Z", "A", "L2")
                .add("e3", "s3", "2025-07-01T00:00:00Z", "A", "L9")
                .add("e4", "s3", "2025-07-01T00:00:00Z", "A", null)
                .frame();
        Map<String, Row> m = new TreeMap<>();
        Enrichment.apply(events, LOCATIONS, PACKAGES).collectAsList().forEach(r -> m.put(r.getAs("event_id"), r));
        return m;
    }

    @Test
    void locationsJoinByIdAndADuplicatedIdDoesNotMultiplyEvents() {
        Map<String, Row> rows = enrich();
        assertEquals(4, rows.size());
        assertEquals("Memphis hub", rows.get("e1").getAs("location_name"));
        assertEquals("us-central", rows.get("e1").getAs("region"));
        assertEquals("Leipzig hub", rows.get("e2").getAs("location_name"), "the greatest (name, region) wins");
        assertNull(rows.get("e3").getAs("location_name"), "unknown id");
        assertNull(rows.get("e3").getAs("region"));
        assertNull(rows.get("e4").getAs("location_name"));
    }

    @Test
    void packagesAggregatePerShipment() {
        Map<String, Row> rows = enrich();
        Row s1 = rows.get("e1");
        assertEquals(3L, (long) s1.getAs("package_count"));
        assertEquals(3.5, (double) s1.getAs("total_weight_kg"), "nulls are ignored");
        assertEquals(EventRows.ts("2025-07-04T12:00:00Z"), s1.getAs("promised_delivery_timestamp"), "the earliest promise");
        Row s2 = rows.get("e2");
        assertEquals(1L, (long) s2.getAs("package_count"));
        assertNull(s2.getAs("total_weight_kg"), "every weight null");
        assertNull(s2.getAs("promised_delivery_timestamp"));
        Row s3 = rows.get("e3");
        assertNull(s3.getAs("package_count"), "no package row: nulls in all three");
        assertNull(s3.getAs("total_weight_kg"));
    }
}
