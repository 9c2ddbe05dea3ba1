package com.shipmenttimeline.jobs.metrics;

import java.time.Instant;
import java.util.List;

/** Where metric data goes besides the log (CloudWatch, when that is the sink). */
public interface MetricsPublisher extends AutoCloseable {
    void publish(Instant at, List<MetricValue> data);

    @Override
    default void close() {}
}
