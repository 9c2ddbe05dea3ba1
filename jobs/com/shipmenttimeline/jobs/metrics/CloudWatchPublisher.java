package com.shipmenttimeline.jobs.metrics;

import com.shipmenttimeline.jobs.config.Settings;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClientBuilder;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.MetricDatum;
import software.amazon.awssdk.services.cloudwatch.model.PutMetricDataRequest;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

/**
 * PutMetricData with AWS SDK v2, the thin AWS-facing part of the metrics. Credentials and region
 * come from the SDK's default chains (on EMR the instance role and the cluster's region) unless
 * configured; {@code metrics.endpoint} overrides the endpoint (tests point it at a local server).
 * Only this class touches the SDK, and it is loaded only when the sink is CloudWatch.
 */
final class CloudWatchPublisher implements MetricsPublisher {
    /** PutMetricData takes at most 1000 data a call. */
    private static final int BATCH = 1000;

    private final CloudWatchClient client;
    private final String namespace;
    private final String environment;

    private CloudWatchPublisher(CloudWatchClient client, String namespace, String environment) {
        this.client = client;
        this.namespace = namespace;
        this.environment = environment;
    }

    static CloudWatchPublisher create(Settings.MetricsSettings s) {
        CloudWatchClientBuilder b = CloudWatchClient.builder().httpClient(UrlConnectionHttpClient.create());
        s.region().ifPresent(r -> b.region(Region.of(r)));
        s.endpoint().ifPresent(b::endpointOverride);
        return new CloudWatchPublisher(b.build(), s.namespace(), s.environment());
    }

    @Override
    public void publish(Instant at, List<MetricValue> data) {
        List<MetricDatum> all = new ArrayList<>();
        for (MetricValue d : data) {
            List<Dimension> dims = new ArrayList<>();
            dims.add(Dimension.builder().name("Environment").value(environment).build());
            d.dimensions().forEach((k, v) -> dims.add(Dimension.builder().name(k).value(v).build()));
            all.add(MetricDatum.builder().metricName(d.name()).value(d.value()).unit(StandardUnit.fromValue(d.unit()))
                    .timestamp(at).dimensions(dims).build());
        }
        for (int from = 0; from < all.size(); from += BATCH) {
            client.putMetricData(PutMetricDataRequest.builder().namespace(namespace)
                    .metricData(all.subList(from, Math.min(all.size(), from + BATCH))).build());
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
