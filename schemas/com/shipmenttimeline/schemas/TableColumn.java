package com.shipmenttimeline.schemas;

import java.util.Objects;

/** One column of a warehouse table: its name, its kind and whether it may be null. */
public record TableColumn(String name, ColumnKind kind, boolean nullable) {
    public TableColumn {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
    }

    static TableColumn of(String name, ColumnKind kind) {
        return new TableColumn(name, kind, true);
    }

    static TableColumn required(String name, ColumnKind kind) {
        return new TableColumn(name, kind, false);
    }
}
