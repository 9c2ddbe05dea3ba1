package com.shipmenttimeline.transforms;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.instr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.octet_length;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.when;

import com.shipmenttimeline.schemas.ColumnKind;
import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.schemas.StorageLimits;
import java.util.OptionalInt;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Contract section 5: a value the warehouse cannot store is quarantined {@code MALFORMED} with the
 * column named, never a stalled pipeline. Every event string is stored in an {@link ColumnKind#ID}
 * column; {@link #mark} marks the rows that hold one the dialect's {@link StorageLimits} refuse, and
 * {@link #storableText} makes a quarantine row's own strings storable.
 */
public final class StorableValues {
    private StorableValues() {}

    private static final String NUL = "\u0000";

    /** Why the value of {@code column} cannot be stored, or null when it can. */
    public static Column problem(String column, ColumnKind kind, StorageLimits limits) {
        Column c = col(column);
        Column why = when(instr(c, NUL).gt(0), lit(column + " holds a NUL character (U+0000), which the warehouse cannot store"));
        OptionalInt max = limits.maxBytes(kind);
        if (max.isPresent()) {
            why = why.when(octet_length(c).gt(max.getAsInt()), concat(lit(column + " is "), octet_length(c).cast("string"),
                    lit(" bytes in UTF-8, over the warehouse's " + limits.typeOf(kind))));
        }
        if (limits.nullMarker() != null) {
            why = why.when(c.equalTo(lit(limits.nullMarker())), lit(column + " is " + limits.nullMarker() + ", the staging files' null marker"));
        }
        return why;
    }

    /** The first problem of the row's event strings, or null. */
    public static Column firstProblem(StorageLimits limits) {
        Column[] problems = java.util.Arrays.stream(RawEvents.STRING_COLUMNS).map(n -> problem(n, ColumnKind.ID, limits)).toArray(Column[]::new);
        return coalesce(problems);
    }

    /**
     * Rows of {@link RawEvents#READ_SCHEMA} with a value the warehouse cannot store become malformed,
     * their detail naming the column and the limit (a reader's own detail comes first).
     */
    public static Dataset<Row> mark(Dataset<Row> read, StorageLimits limits) {
        Column problem = firstProblem(limits);
        return read.withColumn(RawEvents.MALFORMED_DETAIL, when(col(RawEvents.MALFORMED), col(RawEvents.MALFORMED_DETAIL)).otherwise(problem))
                .withColumn(RawEvents.MALFORMED, col(RawEvents.MALFORMED).or(problem.isNotNull()));
    }

    /**
     * A quarantine row's text as the warehouse can store it: a NUL written as the six characters
     * {@code \u0000}, and a text over the column's limit cut (at a character) with a note of its length.
     */
    public static Column storableText(Column text, ColumnKind kind, StorageLimits limits) {
        Column escaped = regexp_replace(text, NUL, "\\\\u0000");
        OptionalInt max = limits.maxBytes(kind);
        if (max.isEmpty()) {
            return escaped;
        }
        // A character is at most 4 bytes in UTF-8; the note takes under 64.
        int keep = (max.getAsInt() - 64) / 4;
        return when(octet_length(escaped).gt(max.getAsInt()),
                concat(substring(escaped, 1, keep), lit("... [cut: "), octet_length(escaped).cast("string"), lit(" bytes]"))).otherwise(escaped);
    }

    /** A quarantine row's id: the value when the warehouse can store it, else null (its raw record keeps it). */
    public static Column storableId(String column, StorageLimits limits) {
        return when(problem(column, ColumnKind.ID, limits).isNull(), col(column));
    }
}
