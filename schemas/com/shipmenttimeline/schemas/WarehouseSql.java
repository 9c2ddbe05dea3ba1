package com.shipmenttimeline.schemas;

import java.util.ArrayList;
import java.util.List;

/**
 * The statements of each run's single warehouse transaction, rendered for a dialect. PostgreSQL
 * runs exactly these in every job test; Redshift runs the same text but for one part of the base
 * commit: on PostgreSQL the staged rows are swapped in as the base's window table
 * ({@link #baseCommit}), on Redshift they are inserted, and {@link BaseLoad#INSERT} renders that
 * text for PostgreSQL too, so that tests run it for real. Every other statement is in the subset
 * both accept: plain {@code DELETE}, {@code INSERT ... SELECT} with
 * {@code NOT EXISTS}, bound parameters, no {@code TRUNCATE} (it commits on Redshift), no
 * {@code WITH}, no {@code ON CONFLICT}, no {@code ::} casts. Only the view refresh differs: Redshift
 * has no {@code CONCURRENTLY}, and it runs after the commit on both.
 *
 * <p>A {@code ?} in a statement is a bound parameter, given in {@link Statement#parameters()} by
 * name: {@code window_start}, {@code replay_from}.
 */
public final class WarehouseSql {
    private final WarehouseDdl ddl;
    private final BaseLoad baseLoad;

    /** How a base run's rows reach the base table. */
    public enum BaseLoad {
        /** Row by row, {@code INSERT ... SELECT} from the staged table: Redshift's way; it runs on PostgreSQL too. */
        INSERT,
        /** PostgreSQL: the staged table, indexed before the commit, becomes the base's window table. */
        SWAP
    }

    /** The dialect's own way: a swap on PostgreSQL ({@link WarehouseDdl#swapsBase()}), an insert on Redshift. */
    public WarehouseSql(WarehouseDdl ddl) {
        this(ddl, ddl.swapsBase() ? BaseLoad.SWAP : BaseLoad.INSERT);
    }

    public WarehouseSql(WarehouseDdl ddl, BaseLoad baseLoad) {
        if (baseLoad == BaseLoad.SWAP && !ddl.swapsBase()) {
            throw new IllegalArgumentException("only PostgreSQL's base table has a window table to swap");
        }
        this.ddl = ddl;
        this.baseLoad = baseLoad;
    }

    /** The objects' names and dialect these statements are rendered for. */
    public WarehouseDdl ddl() {
        return ddl;
    }

    public BaseLoad baseLoad() {
        return baseLoad;
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
     *
     * <p>With {@link BaseLoad#SWAP} the base after the commit is the same set of rows, reached
     * without writing the run's rows again: the history table loses its rows at or after the window
     * start and those the run writes; the previous window table's rows before the window start that
     * the run does not write move to the history table (a day's rows, night after night); the
     * previous window table is dropped, and the staged table, with its indexes built before the
     * commit ({@link WarehouseDdl#timelineIndexes}), is renamed to be the window table and joins the
     * base by inheritance. All of it is transactional DDL: a rollback leaves the staged table staged.
     */
    public List<Statement> baseCommit(BaseStaging staging, boolean rebuildState) {
        String incremental = ddl.qualified(WarehouseTables.INCREMENTAL);
        String staged = ddl.qualified(staging.timeline());
        StoredStateSql state = new StoredStateSql(ddl);
        List<Statement> all = new ArrayList<>(state.baseStatementsBefore(staging.timeline(), staging.newState(), staging.orphans()));
        Statement incrementalCovered = Statement.of("DELETE FROM " + incremental + " WHERE event_timestamp >= ? OR event_id IN (SELECT s.event_id FROM "
                + staged + " s)", "window_start");
        if (baseLoad == BaseLoad.SWAP) {
            all.add(incrementalCovered); // before the swap renames the staged table
            all.addAll(baseSwap(staging.timeline()));
        } else {
            String base = ddl.qualified(WarehouseTables.BASE);
            String baseColumns = columns(TimelineColumns.BASE);
            all.addAll(List.of(
                    Statement.of("DELETE FROM " + base + " WHERE event_timestamp >= ?", "window_start"),
                    Statement.of("DELETE FROM " + base + " WHERE event_id IN (SELECT s.event_id FROM " + staged + " s)"),
                    incrementalCovered,
                    Statement.of("INSERT INTO " + base + " (" + baseColumns + ") SELECT " + baseColumns + " FROM " + staged)));
        }
        all.add(quarantineInsert(staging.quarantine()));
        all.addAll(state.baseStatementsAfter(staging.newState(), staging.orphans()));
        if (rebuildState) {
            all.addAll(state.rebuildAll());
        }
        return List.copyOf(all);
    }

    /** {@link #baseCommit}'s swap of the staged rows in as the base's window table (PostgreSQL). */
    private List<Statement> baseSwap(String stagedTable) {
        String history = ddl.qualified(WarehouseTables.BASE_HISTORY);
        String window = ddl.qualified(WarehouseTables.BASE_WINDOW);
        String staged = ddl.qualified(stagedTable);
        String baseColumns = columns(TimelineColumns.BASE);
        List<Statement> all = new ArrayList<>(List.of(
                Statement.of("DELETE FROM " + history + " WHERE event_timestamp >= ?", "window_start"),
                Statement.of("DELETE FROM " + history + " WHERE event_id IN (SELECT s.event_id FROM " + staged + " s)"),
                Statement.of("INSERT INTO " + history + " (" + baseColumns + ") SELECT " + baseColumns + " FROM " + window + " w"
                        + " WHERE w.event_timestamp < ? AND NOT EXISTS (SELECT 1 FROM " + staged + " s WHERE s.event_id = w.event_id)",
                        "window_start"),
                Statement.of("DROP TABLE " + window),
                Statement.of("ALTER TABLE " + staged + " RENAME TO " + WarehouseTables.BASE_WINDOW)));
        for (String suffix : WarehouseDdl.TIMELINE_INDEX_SUFFIXES) {
            all.add(Statement.of("ALTER INDEX " + ddl.qualified(stagedTable + suffix) + " RENAME TO " + WarehouseTables.BASE_WINDOW + suffix));
        }
        all.add(Statement.of("ALTER TABLE " + window + " INHERIT " + ddl.qualified(WarehouseTables.BASE)));
        return all;
    }

    /** The staging tables an incremental batch's commit reads and fills. */
    public record IncrementalStaging(String timeline, java.util.Optional<String> quarantine, boolean replaces, boolean touches) {}

    /** The list of event ids whose stored rows an incremental commit deletes (it writes them again, or takes them out). */
    public static final String REPLACED_IDS = "replaced_ids";

    /**
     * An incremental batch (section 5): the stored rows of the events it writes again or takes out of
     * the timeline (the list {@value #REPLACED_IDS}) go, wherever they are stored; its rows go into
     * the incremental table (new events, and the stored events after an event it took into the
     * middle of a shipment, computed again); its quarantine rows, when it has any, are stored; its
     * shipments' state rows follow ({@link StoredStateSql#incrementalStatements}). Two staged tables
     * at most, the lists bound as parameters.
     */
    public List<Statement> incrementalCommit(IncrementalStaging staging) {
        String cols = columns(TimelineColumns.INCREMENTAL);
        List<Statement> all = new ArrayList<>();
        if (staging.replaces()) {
            String ids = " WHERE event_id IN (:" + REPLACED_IDS + ")";
            all.add(Statement.of("DELETE FROM " + ddl.qualified(WarehouseTables.BASE) + ids));
            all.add(Statement.of("DELETE FROM " + ddl.qualified(WarehouseTables.INCREMENTAL) + ids));
        }
        all.add(Statement.of("INSERT INTO " + ddl.qualified(WarehouseTables.INCREMENTAL) + " (" + cols + ") SELECT " + cols + " FROM "
                + ddl.qualified(staging.timeline())));
        staging.quarantine().ifPresent(q -> all.add(quarantineInsert(q)));
        all.addAll(new StoredStateSql(ddl).incrementalStatements(staging.timeline(), staging.touches()));
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
