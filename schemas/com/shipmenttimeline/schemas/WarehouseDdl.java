package com.shipmenttimeline.schemas;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Renders the warehouse DDL in the PostgreSQL or the Redshift flavour. Every object is created only
 * when it is missing; nothing that exists is altered.
 */
public final class WarehouseDdl {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final SqlDialect dialect;
    private final String schema;
    private final boolean materializedView;

    /**
     * @param schema the warehouse schema; it comes from configuration, so it must be a plain lower-case
     *     identifier (checked here, so that configuration cannot inject SQL); the realtime view is a plain view, the default
     */
    public WarehouseDdl(SqlDialect dialect, String schema) {
        this(dialect, schema, false);
    }

    /** @param materializedView false for a plain view over the two tables (always current, no refresh) */
    public WarehouseDdl(SqlDialect dialect, String schema, boolean materializedView) {
        this.dialect = dialect;
        this.schema = checkIdentifier(schema, "warehouse schema");
        this.materializedView = materializedView;
    }

    public boolean materializedView() {
        return materializedView;
    }

    /** Throws IllegalArgumentException unless {@code name} is a plain lower-case SQL identifier. */
    public static String checkIdentifier(String name, String what) {
        if (name == null || !IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " '" + name
                    + "' is not a plain identifier (lower-case letters, digits and _, at most 63, not starting with a digit)");
        }
        return name;
    }

    public SqlDialect dialect() {
        return dialect;
    }

    public String schema() {
        return schema;
    }

    public String createSchema() {
        return "CREATE SCHEMA IF NOT EXISTS " + schema;
    }

    public String dropTable(String table) {
        return "DROP TABLE IF EXISTS " + qualified(table);
    }

    public String dropView(String view, boolean materialized) {
        return (materialized ? "DROP MATERIALIZED VIEW " : "DROP VIEW ") + qualified(view);
    }

    /** A query that returns a row when a materialized view (schema ?, name ?) exists: PostgreSQL's pg_matviews, Redshift's STV_MV_INFO. */
    public String materializedViewExists() {
        return dialect == SqlDialect.POSTGRES
                ? "SELECT 1 FROM pg_matviews WHERE schemaname = ? AND matviewname = ?"
                : "SELECT 1 FROM stv_mv_info WHERE schema = ? AND name = ?";
    }

    /** Fresh planner statistics for a table just loaded. */
    public String analyze(String table) {
        return "ANALYZE " + qualified(table);
    }

    /** The schema-qualified name of a table or view. */
    public String qualified(String table) {
        return schema + "." + checkIdentifier(table, "table");
    }

    /** One object to create: its name, and the statements that create it (and its indexes). */
    public record DdlObject(String name, List<String> statements, List<TableColumn> columns) {}

    /** Adds a column to an existing table (both dialects; one column a statement, as Redshift wants). */
    public String addColumn(String table, TableColumn column) {
        return "ALTER TABLE " + qualified(table) + " ADD COLUMN " + column.name() + " " + column.kind().sqlType(dialect);
    }

    /** Every object, in dependency order: the view comes after its tables. */
    public List<DdlObject> objects() {
        List<DdlObject> all = new ArrayList<>();
        all.add(table(WarehouseTables.CHECKPOINTS, WarehouseTables.CHECKPOINT_COLUMNS, "checkpoint_id", false));
        all.add(timelineTable(WarehouseTables.BASE, TimelineColumns.BASE));
        if (swapsBase()) {
            all.add(baseChild(WarehouseTables.BASE_HISTORY));
            all.add(baseChild(WarehouseTables.BASE_WINDOW));
        }
        all.add(timelineTable(WarehouseTables.INCREMENTAL, TimelineColumns.INCREMENTAL));
        // Before the state table: filling a new state table reads the purged-row summaries too.
        all.add(stateTable(WarehouseTables.PURGED));
        all.add(stateTable(WarehouseTables.STATE));
        all.add(table(WarehouseTables.RUNS, WarehouseTables.RUN_COLUMNS, "run_id", false));
        all.add(table(WarehouseTables.QUARANTINE, WarehouseTables.QUARANTINE_COLUMNS, null, false));
        all.add(table(WarehouseTables.LATE_EVENTS, WarehouseTables.LATE_EVENT_COLUMNS, "event_id", false));
        all.add(table(WarehouseTables.LEASE, WarehouseTables.LEASE_COLUMNS, "lease_name", false));
        all.add(table(WarehouseTables.PROCESSED_FILES, WarehouseTables.PROCESSED_FILE_COLUMNS, "path", false));
        all.add(realtimeView());
        return all;
    }

    /**
     * Whether a base run swaps its staged rows in as the base's window table (PostgreSQL) rather than
     * inserting them row by row (Redshift: its tables cannot inherit, and its INSERT ... SELECT
     * appends sorted blocks with no index to maintain).
     */
    public boolean swapsBase() {
        return dialect == SqlDialect.POSTGRES;
    }

    /**
     * PostgreSQL: the indexes of a timeline table (one row per event, enforced; ordered access per
     * shipment; range deletes by time), named {@code <table>_event_id}, {@code <table>_shipment_ts}
     * and {@code <table>_ts}. Redshift has none (it sorts instead).
     */
    public List<String> timelineIndexes(String table) {
        if (dialect != SqlDialect.POSTGRES) {
            return List.of();
        }
        return TIMELINE_INDEXES.stream().map(i -> "CREATE " + (i.unique() ? "UNIQUE " : "") + "INDEX IF NOT EXISTS " + table + i.suffix()
                + " ON " + qualified(table) + " (" + i.columns() + ")").toList();
    }

    /**
     * PostgreSQL: a base table made by an older version holds its rows itself; this one statement
     * moves any rows the parent holds of its own to the history table, atomically (run at every
     * start: on the parent, which is empty from then on, it finds nothing).
     */
    public String moveBaseRowsToHistory() {
        String columns = String.join(", ", TimelineColumns.names(TimelineColumns.BASE));
        return "WITH moved AS (DELETE FROM ONLY " + qualified(WarehouseTables.BASE) + " RETURNING " + columns + ") INSERT INTO "
                + qualified(WarehouseTables.BASE_HISTORY) + " (" + columns + ") SELECT " + columns + " FROM moved";
    }

    /** One index of a timeline table: named {@code <table><suffix>}. */
    private record TimelineIndex(String suffix, boolean unique, String columns) {}

    private static final List<TimelineIndex> TIMELINE_INDEXES = List.of(
            new TimelineIndex("_event_id", true, "event_id"),
            new TimelineIndex("_shipment_ts", false, "shipment_id, event_timestamp, event_id"),
            new TimelineIndex("_ts", false, "event_timestamp"));

    /** The suffixes {@link #timelineIndexes} appends to a table's name to name its indexes. */
    public static final List<String> TIMELINE_INDEX_SUFFIXES = TIMELINE_INDEXES.stream().map(TimelineIndex::suffix).toList();

    /** A staging table with the given columns, for loads that a transaction then moves into place. */
    public String createStagingTable(String name, List<TableColumn> columns) {
        boolean byShipment = columns.stream().anyMatch(c -> c.name().equals(TimelineColumns.SHIPMENT_ID));
        return "CREATE TABLE " + qualified(name) + " (" + columnList(columns) + ")"
                + (dialect == SqlDialect.REDSHIFT && byShipment ? " DISTKEY(shipment_id)" : "");
    }

    /** All statements as one script, for `--mode ddl` and for DBAs who create objects by hand. */
    public String script() {
        return objects().stream()
                .flatMap(o -> o.statements().stream())
                .map(s -> s + ";")
                .collect(Collectors.joining("\n\n", "-- Shipment Timeline warehouse objects, " + dialect.name().toLowerCase(Locale.ROOT)
                        + " flavour, schema " + schema + "\n\n", "\n"));
    }

    /** The select list of the realtime view: base rows get null batch columns. */
    public static List<String> realtimeColumns() {
        return List.of(TimelineColumns.names(TimelineColumns.INCREMENTAL));
    }

    private DdlObject timelineTable(String name, List<TableColumn> columns) {
        DdlObject t = table(name, columns, null, true);
        List<String> statements = new ArrayList<>(t.statements());
        statements.addAll(timelineIndexes(name));
        return new DdlObject(name, statements, columns);
    }

    /**
     * A table that inherits the base table's columns (PostgreSQL), with the timeline indexes. It lists
     * no columns of its own: columns added to the base later reach it through inheritance.
     */
    private DdlObject baseChild(String name) {
        List<String> statements = new ArrayList<>();
        statements.add("CREATE TABLE IF NOT EXISTS " + qualified(name) + " () INHERITS (" + qualified(WarehouseTables.BASE) + ")");
        statements.addAll(timelineIndexes(name));
        return new DdlObject(name, statements, List.of());
    }

    /**
     * The per-shipment state, or the purged-row summaries: keyed by shipment, read by key (PostgreSQL:
     * its primary key; Redshift: distributed and sorted by it).
     */
    private DdlObject stateTable(String name) {
        DdlObject t = table(name, StoredStateSql.STATE_COLUMNS, StoredStateSql.SHIPMENT_ID, false);
        String sql = t.statements().get(0) + (dialect == SqlDialect.REDSHIFT ? " DISTKEY(shipment_id) SORTKEY(shipment_id)" : "");
        return new DdlObject(t.name(), List.of(sql), t.columns());
    }

    private DdlObject table(String name, List<TableColumn> columns, String primaryKey, boolean timeline) {
        StringBuilder sql = new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(qualified(name)).append(" (\n  ")
                .append(columnList(columns).replace(", ", ",\n  "));
        if (primaryKey != null) {
            sql.append(",\n  PRIMARY KEY (").append(primaryKey).append(")");
        }
        sql.append("\n)");
        if (dialect == SqlDialect.REDSHIFT && timeline) {
            sql.append(" DISTKEY(shipment_id) SORTKEY(shipment_id, event_timestamp)");
        }
        return new DdlObject(name, List.of(sql.toString()), columns);
    }

    private DdlObject realtimeView() {
        String base = WarehouseTables.BASE;
        String inc = WarehouseTables.INCREMENTAL;
        String baseCols = String.join(", ", TimelineColumns.names(TimelineColumns.BASE));
        String nullBatch = "CAST(NULL AS " + ColumnKind.ID.sqlType(dialect).replace(" COLLATE \"C\"", "") + ") AS "
                + TimelineColumns.INCREMENTAL_BATCH_ID + ", CAST(NULL AS " + ColumnKind.TIMESTAMP.sqlType(dialect) + ") AS "
                + TimelineColumns.INCREMENTAL_PROCESSED_AT;
        String incCols = String.join(", ", TimelineColumns.names(TimelineColumns.INCREMENTAL));
        String select = "SELECT " + baseCols + ", " + nullBatch + " FROM " + qualified(base)
                + "\nUNION ALL\nSELECT " + incCols + " FROM " + qualified(inc);
        List<String> statements = new ArrayList<>();
        if (!materializedView) {
            statements.add("CREATE VIEW " + qualified(WarehouseTables.REALTIME_VIEW) + " AS\n" + select);
        } else if (dialect == SqlDialect.POSTGRES) {
            statements.add("CREATE MATERIALIZED VIEW IF NOT EXISTS " + qualified(WarehouseTables.REALTIME_VIEW) + " AS\n" + select);
            // Unique per event: a refresh fails loudly rather than show an event twice, and it allows CONCURRENTLY.
            statements.add("CREATE UNIQUE INDEX IF NOT EXISTS " + WarehouseTables.REALTIME_VIEW + "_event_id ON "
                    + qualified(WarehouseTables.REALTIME_VIEW) + " (event_id)");
            statements.add("CREATE INDEX IF NOT EXISTS " + WarehouseTables.REALTIME_VIEW + "_shipment_ts ON "
                    + qualified(WarehouseTables.REALTIME_VIEW) + " (shipment_id, event_timestamp, event_id)");
        } else {
            statements.add("CREATE MATERIALIZED VIEW " + qualified(WarehouseTables.REALTIME_VIEW)
                    + " DISTKEY(shipment_id) SORTKEY(shipment_id, event_timestamp) AS\n" + select);
        }
        return new DdlObject(WarehouseTables.REALTIME_VIEW, statements, List.of());
    }

    private String columnList(List<TableColumn> columns) {
        return columns.stream()
                .map(c -> c.name() + " " + c.kind().sqlType(dialect) + (c.nullable() ? "" : " NOT NULL"))
                .collect(Collectors.joining(", "));
    }
}
