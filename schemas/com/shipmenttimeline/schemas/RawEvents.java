package com.shipmenttimeline.schemas;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The raw input contract of contract section 1: shipment events and the two reference tables. */
public final class RawEvents {
    private RawEvents() {}

    public static final String EVENT_ID = "event_id";
    public static final String SHIPMENT_ID = "shipment_id";
    public static final String EVENT_TIMESTAMP = "event_timestamp";
    public static final String EVENT_TYPE = "event_type";
    public static final String STATUS = "status";
    public static final String LOCATION_ID = "location_id";
    public static final String INGESTED_AT = "ingested_at";

    /** Folder names under the raw root. */
    public static final String EVENTS_DIR = "shipment_events";
    public static final String LOCATIONS_DIR = "locations";
    public static final String PACKAGES_DIR = "packages";
    /** Partition folder prefix of the events: {@code ingest_date=YYYY-MM-DD}. */
    public static final String INGEST_DATE_PREFIX = "ingest_date=";

    /** String columns of an event; a blank value counts as null. */
    public static final String[] STRING_COLUMNS = {EVENT_ID, SHIPMENT_ID, EVENT_TYPE, STATUS, LOCATION_ID};

    /** The event schema every reader produces, in this order. */
    public static final StructType EVENT_SCHEMA = new StructType()
            .add(EVENT_ID, DataTypes.StringType)
            .add(SHIPMENT_ID, DataTypes.StringType)
            .add(EVENT_TIMESTAMP, DataTypes.TimestampType)
            .add(EVENT_TYPE, DataTypes.StringType)
            .add(STATUS, DataTypes.StringType)
            .add(LOCATION_ID, DataTypes.StringType)
            .add(INGESTED_AT, DataTypes.TimestampType);

    /** Bookkeeping columns the readers add beside the event columns. */
    public static final String RAW_RECORD = "_raw_record";
    public static final String SOURCE_FILE = "_source_file";
    public static final String MALFORMED = "_malformed";
    /** Why a row is malformed, when a reader or {@code StorableValues} can say more than the reason (the column and the limit). */
    public static final String MALFORMED_DETAIL = "_malformed_detail";

    /** What a reader hands to validation: the event columns plus the bookkeeping columns. */
    public static final StructType READ_SCHEMA = EVENT_SCHEMA
            .add(RAW_RECORD, DataTypes.StringType)
            .add(SOURCE_FILE, DataTypes.StringType)
            .add(MALFORMED, DataTypes.BooleanType, false)
            .add(MALFORMED_DETAIL, DataTypes.StringType);

    // Reference data.
    public static final String LOCATION_NAME = "location_name";
    public static final String REGION = "region";
    public static final String COUNTRY = "country";
    public static final String TIMEZONE = "timezone";
    public static final StructType LOCATION_SCHEMA = new StructType()
            .add(LOCATION_ID, DataTypes.StringType)
            .add(LOCATION_NAME, DataTypes.StringType)
            .add(REGION, DataTypes.StringType)
            .add(COUNTRY, DataTypes.StringType)
            .add(TIMEZONE, DataTypes.StringType);

    public static final String PACKAGE_ID = "package_id";
    public static final String WEIGHT_KG = "weight_kg";
    public static final String PROMISED_DELIVERY_TIMESTAMP = "promised_delivery_timestamp";
    public static final StructType PACKAGE_SCHEMA = new StructType()
            .add(PACKAGE_ID, DataTypes.StringType)
            .add(SHIPMENT_ID, DataTypes.StringType)
            .add(WEIGHT_KG, DataTypes.DoubleType)
            .add(PROMISED_DELIVERY_TIMESTAMP, DataTypes.TimestampType);
}
