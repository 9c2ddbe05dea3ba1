package com.shipmenttimeline.schemas;

import java.util.OptionalInt;

/**
 * What the warehouse of each dialect cannot store, in one place (contract section 5: such a value is
 * quarantined {@code MALFORMED} with the column named, never a stalled pipeline).
 * <ul>
 * <li>PostgreSQL: a NUL character (U+0000) in any string; its COPY refuses the byte.</li>
 * <li>Redshift: a NUL too; a string longer in UTF-8 bytes than its column ({@code VARCHAR(256)} for an
 * {@link ColumnKind#ID}, {@code VARCHAR(65535)} for {@link ColumnKind#TEXT}: lengths are bytes, and
 * the load does not truncate); and the staging files' null marker as a value, which would load as
 * null.</li>
 * </ul>
 *
 * @param nullMarker the text that stands for null in the staging files, or null when there is none
 */
public record StorageLimits(SqlDialect dialect, OptionalInt idBytes, OptionalInt textBytes, String nullMarker) {

    /** The staging files' null marker on Redshift (the connector's CSV). */
    public static final String REDSHIFT_NULL_MARKER = "@NULL@";

    public static StorageLimits of(SqlDialect dialect) {
        return dialect == SqlDialect.REDSHIFT
                ? new StorageLimits(dialect, OptionalInt.of(256), OptionalInt.of(65_535), REDSHIFT_NULL_MARKER)
                : new StorageLimits(dialect, OptionalInt.empty(), OptionalInt.empty(), null);
    }

    /** The most a column of this kind holds, in UTF-8 bytes, if the dialect limits it. */
    public OptionalInt maxBytes(ColumnKind kind) {
        return switch (kind) {
            case ID -> idBytes;
            case TEXT -> textBytes;
            default -> OptionalInt.empty();
        };
    }

    /** The SQL type named in a quarantine row's detail. */
    public String typeOf(ColumnKind kind) {
        return kind.sqlType(dialect).replace(" COLLATE \"C\"", "");
    }
}
