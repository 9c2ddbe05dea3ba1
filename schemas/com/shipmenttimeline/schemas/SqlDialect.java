package com.shipmenttimeline.schemas;

/** The two warehouse flavours: PostgreSQL locally and in tests, Amazon Redshift in production. */
public enum SqlDialect {
    POSTGRES,
    REDSHIFT
}
