package com.shipmenttimeline.jobs.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.shipmenttimeline.schemas.ColumnKind;
import com.shipmenttimeline.schemas.TableColumn;
import com.shipmenttimeline.testing.SharedSpark;
import com.shipmenttimeline.testing.TestWarehouse;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Staging loads go through COPY (CSV): every awkward value comes back out of PostgreSQL as it went in. */
class PgCopyTest {
    @Test
    void awkwardValuesSurviveTheCopyExactly() {
        String schema = TestWarehouse.freshSchema();
        StructType type = new StructType().add("s", DataTypes.StringType).add("t", DataTypes.TimestampType).add("d", DataTypes.DoubleType)
                .add("n", DataTypes.LongType).add("b", DataTypes.BooleanType);
        Instant micros = Instant.parse("2025-07-11T23:59:59.123456Z");
        List<Row> rows = Arrays.asList(
                RowFactory.create("plain", Timestamp.from(micros), 1.5, 7L, true),
                RowFactory.create("", null, null, null, null),
                RowFactory.create(null, Timestamp.from(Instant.parse("1970-01-01T00:00:00Z")), -0.000001, Long.MAX_VALUE, false),
                RowFactory.create("quote \" comma , newline \n cr \r tab \t backslash \\ ünïcødé 🚚", Timestamp.from(micros), 1e300, -1L, true),
                RowFactory.create("NULL", null, Double.NaN, 0L, null));
        Dataset<Row> df = SharedSpark.get().createDataFrame(rows, type).repartition(3);
        try (Warehouse w = TestWarehouse.open(schema)) {
            w.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
            w.staging().stage(df, "stg_copy", List.of(new TableColumn("s", ColumnKind.TEXT, true), new TableColumn("t", ColumnKind.TIMESTAMP, true),
                    new TableColumn("d", ColumnKind.DOUBLE, true), new TableColumn("n", ColumnKind.BIGINT, true),
                    new TableColumn("b", ColumnKind.BOOLEAN, true)));
        }
        List<Map<String, Object>> back = TestWarehouse.query("SELECT * FROM " + schema + ".stg_copy ORDER BY n NULLS FIRST");
        assertEquals(5, back.size());
        Map<String, Object> empty = back.get(0);
        assertEquals("", empty.get("s"), "an empty string is not NULL");
        assertEquals(null, empty.get("t"));
        Map<String, Object> awkward = back.stream().filter(r -> Long.valueOf(-1L).equals(r.get("n"))).findFirst().orElseThrow();
        assertEquals(rows.get(3).getString(0), awkward.get("s"));
        assertEquals(Timestamp.from(micros), awkward.get("t"), "microseconds, UTC");
        assertEquals(1e300, (Double) awkward.get("d"));
        Map<String, Object> nul = back.stream().filter(r -> Long.valueOf(0L).equals(r.get("n"))).findFirst().orElseThrow();
        assertEquals("NULL", nul.get("s"), "the string NULL is a string");
        assertEquals(Double.NaN, (Double) nul.get("d"));
        Map<String, Object> max = back.stream().filter(r -> Long.valueOf(Long.MAX_VALUE).equals(r.get("n"))).findFirst().orElseThrow();
        assertEquals(null, max.get("s"));
        assertEquals(-0.000001, (Double) max.get("d"));
        assertEquals(false, max.get("b"));
    }

    /**
     * Each partition's COPY commits on its own: a Spark task that runs again (a retry after a lost
     * executor, speculation) used to stage its rows a second time. Two attempts of partition 0 here,
     * the second finding the first's claim committed: it loads nothing.
     */
    @Test
    void aRetriedTaskAttemptStagesItsRowsOnce() throws Exception {
        String schema = TestWarehouse.freshSchema();
        TestWarehouse.execute("CREATE SCHEMA " + schema);
        TestWarehouse.execute("CREATE TABLE " + schema + ".stg_t (s TEXT)");
        TestWarehouse.execute("CREATE TABLE " + schema + ".stg_t_parts (part INTEGER PRIMARY KEY)");
        String copy = com.shipmenttimeline.schemas.WarehouseSql.copyFromStdin(schema + ".stg_t", List.of("s"));
        String claim = "INSERT INTO " + schema + ".stg_t_parts (part) VALUES (?) ON CONFLICT DO NOTHING";
        java.util.Properties none = new java.util.Properties();
        StructType type = new StructType().add("s", DataTypes.StringType);
        List<Row> rows = List.of(new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(new Object[] {"a"}, type),
                new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(new Object[] {"b"}, type));
        assertEquals(2, PgCopy.copyOnce(TestWarehouse.jdbcUrl(), none, claim, 0, copy, rows.iterator()));
        assertEquals(-1, PgCopy.copyOnce(TestWarehouse.jdbcUrl(), none, claim, 0, copy, rows.iterator()), "the retried attempt");
        assertEquals(2, PgCopy.copyOnce(TestWarehouse.jdbcUrl(), none, claim, 1, copy, rows.iterator()), "another partition");
        assertEquals(4, TestWarehouse.count("SELECT count(*) FROM " + schema + ".stg_t"));

        // Through the staging API, the claims table comes and goes with the load.
        try (Warehouse w = TestWarehouse.open(schema)) {
            w.staging().stage(SharedSpark.get().createDataFrame(rows, type).repartition(2), "stg_u", List.of(new TableColumn("s", ColumnKind.TEXT, true)));
        }
        assertEquals(2, TestWarehouse.count("SELECT count(*) FROM " + schema + ".stg_u"));
        assertEquals(0, TestWarehouse.count("SELECT count(*) FROM information_schema.tables WHERE table_schema = '" + schema + "' AND table_name = 'stg_u_parts'"));
    }
}
