package com.shipmenttimeline.schemas;

import java.util.ArrayList;
import java.util.List;

/**
 * The statements of each run's single warehouse transaction, rendered for a dialect. PostgreSQL
 * runs exactly these in every job test; Redshift runs the same text, because every statement here
 * is in the subset both accept: plain {@code DELETE}, {@code INSERT ... SELECT} with
 * {@code NOT EXISTS}, bound parameters, no {@code TRUNCATE} (it commits on Redshift), no
 * {@code WITH}, no {@code ON CONFLICT}, no {@code ::} casts. Only the view refresh differs: Redshift
 * has no {@code CONCURRENTLY}, and it runs after the commit on both.
 *
 * <p>A {@code ?} in a statement is a bound parameter, given in {@link Statement#parameters()} by
 * name: {@code window_start}, {@code replay_from}.
 */
public final class WarehouseSql {
    private final WarehouseDdl ddl;

    public WarehouseSql(WarehouseDdl ddl) {
        this.ddl = ddl;
    }

    /** One statement, with the names of the values its parameters take, in order. */
    public record Statement(String sql, List<String> parameters) {
        public static Statement of(String sql, String... parameters) {
            return new Statement(sql, List.of(parameters));
        }
    }

    /** The staging tables a base run's commit reads and fills. */
    public record BaseStaging(String timeline, String quarantine, String newState, String orphans) {}

    /**
     * A base run (section 5): replace the window's base rows and any stored row whose event the run
     * writes, delete the incremental rows the base now covers, insert the staged rows and the
     * quarantine rows, and keep the state table exact around them ({@link StoredStateSql}); with
     * {@code rebuildState}, the state table is rebuilt from the stored rows at the end. The
     * checkpoint, processed files and audit row follow in the same transaction.
     */
    public List<Statement> baseCommit(BaseStaging staging, boolean rebuildState) {
        String base = ddl.qualified(WarehouseTables.BASE);
        String incremental = ddl.qualified(WarehouseTables.INCREMENTAL);
        String staged = ddl.qualified(staging.timeline());
        String baseColumns = columns(TimelineColumns.BASE);
        StoredStateSql state = new StoredStateSql(ddl);
        List<Statement> all = new ArrayList<>(state.baseStatementsBefore(staging.timeline(), staging.newState(), staging.orphans()));
        all.addAll(List.of(
                Statement.of("DELETE FROM " + base + " WHERE event_timestamp >= ?", "window_start"),
                Statement.of("DELETE FROM " + base + " WHERE event_id IN (SELECT s.event_id FROM " + staged + " s)"),
                Statement.of("DELETE FROM " + incremental + " WHERE event_timestamp >= ? OR event_id IN (SELECT s.event_id FROM " + staged + " s)",
                        "window_start"),
                Statement.of("INSERT INTO " + base + " (" + baseColumns + ") SELECT " + baseColumns + " FROM " + staged),
                quarantineInsert(staging.quarantine())));
        all.addAll(state.baseStatementsAfter(staging.newState(), staging.orphans()));
        if (rebuildState) {
            all.addAll(state.rebuildAll());
        }
        return List.copyOf(all);
    }

    /**
     * An incremental batch: append its rows, keep the first version of each late event, store its
     * quarantine rows, replace its shipments' state rows ({@code newState}: an empty staging table of
     * {@link StoredStateSql#STATE_COLUMNS}).
     */
    public List<Statement> incrementalCommit(String stagedTimeline, String stagedLate, String stagedQuarantine, String newState) {
        String cols = columns(TimelineColumns.INCREMENTAL);
        String lateCols = columns(WarehouseTables.LATE_EVENT_COLUMNS);
        String late = ddl.qualified(WarehouseTables.LATE_EVENTS);
        List<Statement> all = new ArrayList<>(List.of(
                Statement.of("INSERT INTO " + ddl.qualified(WarehouseTables.INCREMENTAL) + " (" + cols + ") SELECT " + cols + " FROM "
                        + ddl.qualified(stagedTimeline)),
                Statement.of("INSERT INTO " + late + " (" + lateCols + ") SELECT " + lateCols + " FROM " + ddl.qualified(stagedLate)
                        + " s WHERE NOT EXISTS (SELECT 1 FROM " + late + " l WHERE l.event_id = s.event_id)"),
                quarantineInsert(stagedQuarantine)));
        all.addAll(new StoredStateSql(ddl).incrementalStatements(stagedTimeline, newState));
        return List.copyOf(all);
    }

    /**
     * Replay's reset: the incremental rows after T go, and the state of their shipments is recomputed
     * from the rows that remain ({@code orphans}: an empty staging table of
     * {@link StoredStateSql#SHIPMENT_COLUMNS}); the checkpoint is set to T beside it.
     */
    public List<Statement> replayReset(String orphans) {
        StoredStateSql state = new StoredStateSql(ddl);
        List<Statement> all = new ArrayList<>(state.replayStatementsBefore(orphans));
        all.add(replayDelete());
        all.add(state.replayStatementAfter(orphans));
        return List.copyOf(all);
    }

    /** The statement of {@link #replayReset} that deletes the incremental rows after T. */
    public Statement replayDelete() {
        return Statement.of("DELETE FROM " + ddl.qualified(WarehouseTables.INCREMENTAL) + " WHERE event_timestamp > ?", "replay_from");
    }

    /** The realtime view's refresh; it sees only committed rows, so it runs after the commit. Empty for a plain view. */
    public java.util.Optional<Statement> refresh() {
        return ddl.materializedView() ? java.util.Optional.of(refreshView()) : java.util.Optional.empty();
    }

    /** The materialized view's refresh statement. */
    public Statement refreshView() {
        String view = ddl.qualified(WarehouseTables.REALTIME_VIEW);
        return Statement.of(ddl.dialect() == SqlDialect.POSTGRES
                ? "REFRESH MATERIALIZED VIEW CONCURRENTLY " + view
                : "REFRESH MATERIALIZED VIEW " + view);
    }

    /** PostgreSQL's bulk load of CSV rows sent on the connection, into these columns. */
    public static String copyFromStdin(String qualifiedTable, List<String> columns) {
        return "COPY " + qualifiedTable + " (" + String.join(", ", columns) + ") FROM STDIN WITH (FORMAT csv)";
    }

    private Statement quarantineInsert(String stagedQuarantine) {
        String qColumns = columns(WarehouseTables.QUARANTINE_COLUMNS);
        return Statement.of("INSERT INTO " + ddl.qualified(WarehouseTables.QUARANTINE) + " (" + qColumns + ") SELECT " + qColumns + " FROM "
                + ddl.qualified(stagedQuarantine));
    }

    private static String columns(List<TableColumn> columns) {
        return String.join(", ", TimelineColumns.names(columns));
    }
}
