package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.jobs.warehouse.WarehouseLease;
import com.shipmenttimeline.schemas.ProcessType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * What both jobs are built on (Iceberg's base action, in our terms): the session, the settings, the
 * warehouse and the clock, and the first steps every run takes with them.
 */
abstract class TimelineJob {
    final SparkSession spark;
    final Settings settings;
    final Warehouse warehouse;
    final Clock clock;

    TimelineJob(SparkSession spark, Settings settings, Warehouse warehouse, Clock clock) {
        this.spark = spark;
        this.settings = settings;
        this.warehouse = warehouse;
        this.clock = clock;
    }

    /**
     * Contract section 5, "Nothing stored is lost": an {@code as_of} later than the clock plus the
     * future tolerance is refused before anything changes (a typo such as {@code --as-of 2099-01-01}
     * would accept events from the future and purge every stored row as past retention).
     */
    void refuseFutureAsOf(Instant asOf) {
        Instant now = clock.instant();
        Instant latest = now.plus(settings.futureTolerance());
        if (asOf.isAfter(latest)) {
            throw new UsageException("as_of " + asOf + " is later than the clock (" + now + ") plus timeline.validation.future-tolerance ("
                    + settings.futureTolerance().toHours() + " h): nothing was changed; give a time before " + latest + ", or none for now");
        }
    }

    /** A run's context, its warehouse objects made sure of first. */
    RunContext begin(StageLog log, String runId) {
        log.run("warehouse objects", warehouse.objects()::ensure);
        return new RunContext(spark, settings, warehouse, clock, log, runId);
    }

    /** Takes the timeline lease for a run, waiting as configured. */
    WarehouseLease lease(String runId, ProcessType type) {
        Optional<Duration> waitForBase = type == ProcessType.INCREMENTAL ? Optional.of(settings.incremental().waitForBase()) : Optional.empty();
        return WarehouseLease.acquire(warehouse, runId, type.value(), settings.warehouse().leaseTtl(), settings.warehouse().leaseWait(),
                waitForBase, clock);
    }
}
