package com.shipmenttimeline.schemas;

import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/** The few column types the project uses, each with its Spark type and its SQL type per dialect. */
public enum ColumnKind {
    /** An identifier or code: ids, statuses, types. */
    ID(DataTypes.StringType, "TEXT COLLATE \"C\"", "VARCHAR(256)"),
    /** Free text that may be long (names, raw records, error messages). */
    TEXT(DataTypes.StringType, "TEXT COLLATE \"C\"", "VARCHAR(65535)"),
    /** A UTC instant; stored without zone, always UTC, microsecond precision. */
    TIMESTAMP(DataTypes.TimestampType, "TIMESTAMP(6)", "TIMESTAMP"),
    BIGINT(DataTypes.LongType, "BIGINT", "BIGINT"),
    DOUBLE(DataTypes.DoubleType, "DOUBLE PRECISION", "DOUBLE PRECISION"),
    BOOLEAN(DataTypes.BooleanType, "BOOLEAN", "BOOLEAN");

    private final DataType sparkType;
    private final String postgresType;
    private final String redshiftType;

    ColumnKind(DataType sparkType, String postgresType, String redshiftType) {
        this.sparkType = sparkType;
        this.postgresType = postgresType;
        this.redshiftType = redshiftType;
    }

    public DataType sparkType() {
        return sparkType;
    }

    /** The SQL type in a dialect. PostgreSQL uses the "C" collation so strings compare in byte order. */
    public String sqlType(SqlDialect dialect) {
        return dialect == SqlDialect.POSTGRES ? postgresType : redshiftType;
    }
}
