package com.shipmenttimeline.jobs.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.schemas.ColumnKind;
import com.shipmenttimeline.schemas.SqlDialect;
import com.shipmenttimeline.schemas.TableColumn;
import com.shipmenttimeline.schemas.WarehouseDdl;
import com.shipmenttimeline.testing.SharedSpark;
import com.shipmenttimeline.testing.TestWarehouse;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * The Redshift staging format, proved as far as this machine can: the connector's options for CSV
 * GZIP, and the exact bytes it would stage (written here with the connector's own CSV writer
 * options) loaded by PostgreSQL's COPY in the same CSV dialect, microseconds, UTC and awkward
 * strings included. What only Redshift can show: that its COPY reads the text with the TIMEFORMAT.
 */
class RedshiftStagingFormatTest {
    private static RedshiftConnector connector(String... more) {
        List<String> o = new ArrayList<>(RedshiftConnectorTest.REDSHIFT_OVERRIDES);
        o.addAll(List.of(more));
        return new RedshiftConnector(Settings.load(null, o).warehouse());
    }

    @Test
    void theDefaultStagesCsvGzipAndCopyReadsOurTimestampText() {
        Map<String, String> o = connector().writeOptions("s.stg_x");
        assertEquals("CSV GZIP", o.get("tempformat"), "the format EMR's Redshift integration supports");
        assertEquals("TIMEFORMAT 'YYYY-MM-DD HH:MI:SS'", o.get("extracopyoptions"));
        assertEquals("@NULL@", o.get("csvnullstring"));
    }

    @Test
    void parquetStaysAChoiceAndStagesTimestampsUnconverted() {
        RedshiftConnector parquet = connector("warehouse.redshift.tempformat=PARQUET");
        Map<String, String> o = parquet.writeOptions("s.stg_x");
        assertEquals("PARQUET", o.get("tempformat"));
        assertFalse(o.containsKey("extracopyoptions"));
        Dataset<Row> df = SharedSpark.get().sql("SELECT TIMESTAMP '2025-07-02 10:00:00.123456' AS t");
        assertEquals(DataTypes.TimestampType, parquet.stagedForm(df).schema().apply("t").dataType());
    }

    @Test
    void aBadTempformatIsAUsageError() {
        org.junit.jupiter.api.Assertions.assertThrows(com.shipmenttimeline.jobs.config.UsageException.class,
                () -> connector("warehouse.redshift.tempformat=AVRO"));
    }

    @Test
    void theStagedBytesLoadExactlyThroughCopy(@TempDir Path dir) throws Exception {
        StructType type = new StructType().add("s", DataTypes.StringType).add("t", DataTypes.TimestampType).add("d", DataTypes.DoubleType)
                .add("n", DataTypes.LongType).add("b", DataTypes.BooleanType);
        Instant micros = Instant.parse("2025-07-11T23:59:59.123456Z");
        List<Row> rows = Arrays.asList(
                RowFactory.create("plain", Timestamp.from(micros), 1.5, 1L, true),
                RowFactory.create("", null, null, 2L, null),
                RowFactory.create(null, Timestamp.from(Instant.parse("1970-01-01T00:00:00.000001Z")), -0.000001, 3L, false),
                RowFactory.create("quote \" comma , newline \n tab \t ünïcødé 🚚", Timestamp.from(Instant.parse("2025-03-30T01:30:00.5Z")), 1e300, 4L, true),
                RowFactory.create("  padded  ", Timestamp.from(Instant.parse("2099-12-31T23:59:59.999999Z")), 0.0, 5L, null));
        Dataset<Row> staged = connector().stagedForm(SharedSpark.get().createDataFrame(rows, type));
        assertEquals(DataTypes.StringType, staged.schema().apply("t").dataType(), "timestamps go out as our text");
        // The connector's CSV GZIP writer, with its options (RedshiftWriter: escape, nullValue, no trimming, gzip).
        Path out = dir.resolve("staged");
        staged.coalesce(1).write().format("csv").option("escape", "\"").option("nullValue", RedshiftConnector.CSV_NULL)
                .option("ignoreLeadingWhiteSpace", false).option("ignoreTrailingWhiteSpace", false).option("compression", "gzip")
                .save(out.toString());
        List<Path> parts = Files.list(out).filter(p -> p.getFileName().toString().endsWith(".csv.gz")).toList();
        assertEquals(1, parts.size());
        byte[] csv;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(parts.get(0)))) {
            csv = in.readAllBytes();
        }
        assertTrue(new String(csv, java.nio.charset.StandardCharsets.UTF_8).contains("2025-07-11 23:59:59.123456"), "six fraction digits, UTC");

        String schema = TestWarehouse.freshSchema();
        WarehouseDdl ddl = new WarehouseDdl(SqlDialect.POSTGRES, schema);
        List<TableColumn> cols = List.of(new TableColumn("s", ColumnKind.TEXT, true), new TableColumn("t", ColumnKind.TIMESTAMP, true),
                new TableColumn("d", ColumnKind.DOUBLE, true), new TableColumn("n", ColumnKind.BIGINT, true),
                new TableColumn("b", ColumnKind.BOOLEAN, true));
        TestWarehouse.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
        TestWarehouse.execute(ddl.createStagingTable("stg_csv", cols));
        try (Connection c = DriverManager.getConnection(TestWarehouse.jdbcUrl())) {
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + ddl.qualified("stg_csv") + " (s, t, d, n, b) FROM STDIN WITH (FORMAT csv,"
                    + " NULL '" + RedshiftConnector.CSV_NULL + "')", new java.io.ByteArrayInputStream(csv));
        }
        List<Map<String, Object>> back = TestWarehouse.query("SELECT * FROM " + ddl.qualified("stg_csv") + " ORDER BY n");
        assertEquals(rows.size(), back.size());
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            Map<String, Object> b = back.get(i);
            assertEquals(r.get(0), b.get("s"), "row " + i);
            assertEquals(r.get(1), b.get("t"), "row " + i + ": microseconds, UTC");
            assertEquals(r.get(2), b.get("d"), "row " + i);
            assertEquals(r.get(4), b.get("b"), "row " + i);
        }
    }
}
