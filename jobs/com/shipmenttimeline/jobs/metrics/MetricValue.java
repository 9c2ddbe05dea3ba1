package com.shipmenttimeline.jobs.metrics;

import java.util.Map;

/** One metric value: its name, its CloudWatch unit, and dimensions beyond {@code Environment}. */
public record MetricValue(String name, double value, String unit, Map<String, String> dimensions) {
    public MetricValue {
        dimensions = Map.copyOf(dimensions);
    }

    static MetricValue of(String name, double value, String unit) {
        return new MetricValue(name, value, unit, Map.of());
    }
}
