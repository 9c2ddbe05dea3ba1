package com.shipmenttimeline.jobs.metrics;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.warehouse.RunCounts;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.schemas.ProcessType;
import com.shipmenttimeline.schemas.QuarantineReason;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CloudWatch publisher against a local HTTP server that records the real requests AWS SDK v2
 * sends (the SDK's endpoint override points it there): signed, for the right operation, with every
 * datum of a run and its dimensions.
 */
class CloudWatchPublisherTest {
    record Recorded(String method, String path, Map<String, List<String>> headers, byte[] body) {}

    private HttpServer server;
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private int status = 200;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            requests.add(new Recorded(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    new HashMap<>(exchange.getRequestHeaders()), body));
            // Answer in the protocol the SDK spoke: CloudWatch's newer SDKs (2.57.8 here) send Smithy RPC v2
            // CBOR; EMR 7.12's SDK (2.35.5, mvn -Pemr-7.12) sends the AWS Query protocol and reads XML.
            byte[] reply;
            if (Protocol.of(exchange.getRequestHeaders().getFirst("Content-Type")) == Protocol.QUERY) {
                reply = ("<PutMetricDataResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"
                        + "<ResponseMetadata><RequestId>test</RequestId></ResponseMetadata></PutMetricDataResponse>")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "text/xml");
            } else {
                reply = new byte[] {(byte) 0xA0}; // an empty CBOR map
                exchange.getResponseHeaders().add("smithy-protocol", "rpc-v2-cbor");
                exchange.getResponseHeaders().add("Content-Type", "application/cbor");
            }
            exchange.sendResponseHeaders(status, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.start();
        System.setProperty("aws.accessKeyId", "AKIDTESTTESTTEST");
        System.setProperty("aws.secretAccessKey", "not-a-real-secret");
    }

    @AfterEach
    void stop() {
        server.stop(0);
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    private Settings.MetricsSettings settings() {
        return Settings.load(null, List.of("metrics.sink=cloudwatch", "metrics.region=eu-west-1", "metrics.environment=test",
                "metrics.endpoint=http://127.0.0.1:" + server.getAddress().getPort())).metrics();
    }

    private static RunRecord finishedRun() {
        Instant start = Instant.parse("2025-07-12T00:00:00Z");
        RunCounts counts = new RunCounts(1000, 900, Map.of(QuarantineReason.MALFORMED, 40L, QuarantineReason.MISSING_STATUS, 20L), 40, 0, 0, 0);
        return RunRecord.start("daily_base-x", ProcessType.DAILY_BASE, start).counts(counts, null)
                .checkpoints(null, Instant.parse("2025-07-11T23:50:00Z")).succeeded(start.plusSeconds(120), 7, 3.0);
    }

    @Test
    void aRunsFiguresArriveAsOneSignedPutMetricDataRequest() throws Exception {
        RunRecord run = finishedRun();
        List<MetricValue> data = RunMetrics.of(run);
        try (MetricsPublisher p = CloudWatchPublisher.create(settings())) {
            p.publish(Instant.parse("2025-07-12T00:02:00Z"), data);
        }
        assertEquals(1, requests.size());
        Recorded req = requests.get(0);
        assertEquals("POST", req.method());
        Protocol protocol = Protocol.of(req.headers().get("Content-type").get(0));
        JsonNode body = protocol.decode(req.body());
        assertEquals("PutMetricData", protocol == Protocol.QUERY ? body.get("Action").asText() : req.path().replaceAll(".*/", ""), req.path());
        String auth = String.join(",", req.headers().getOrDefault("Authorization", List.of()));
        assertTrue(auth.startsWith("AWS4-HMAC-SHA256 Credential=AKIDTESTTESTTEST/"), auth);
        assertTrue(auth.contains("/eu-west-1/monitoring/aws4_request"), auth);
        assertTrue(!new String(req.body(), java.nio.charset.StandardCharsets.ISO_8859_1).contains("not-a-real-secret"));

        assertEquals("ShipmentTimeline", body.get("Namespace").asText());
        Map<String, Double> plain = new HashMap<>();
        Map<String, Double> byReason = new HashMap<>();
        for (JsonNode d : body.get("MetricData")) {
            List<String> dims = new ArrayList<>();
            d.get("Dimensions").forEach(x -> dims.add(x.get("Name").asText() + "=" + x.get("Value").asText()));
            assertTrue(dims.contains("Environment=test"), dims.toString());
            if (dims.size() == 1) {
                plain.put(d.get("MetricName").asText(), d.get("Value").asDouble());
            } else {
                byReason.put(dims.get(1), d.get("Value").asDouble());
            }
        }
        assertEquals(720.0, plain.get(RunMetrics.PROCESSING_LAG), "finish (00:02) minus the checkpoint (23:50)");
        assertEquals(500.0, plain.get(RunMetrics.THROUGHPUT), "1000 rows in 2 minutes");
        assertEquals(6.0, plain.get(RunMetrics.ERROR_RATE), 1e-9, "60 quarantined of 1000 read");
        assertEquals(60.0, plain.get(RunMetrics.QUARANTINED));
        assertEquals(7.0, plain.get(RunMetrics.MISSING));
        assertEquals(900.0, plain.get(RunMetrics.ROWS_WRITTEN));
        assertEquals(120.0, plain.get(RunMetrics.DURATION));
        assertEquals(0.1, plain.get(RunMetrics.COST), 1e-9, "2 minutes at 3 USD an hour");
        assertEquals(0.0001, plain.get(RunMetrics.COST_PER_EVENT), 1e-12, "0.1 USD over 1000 rows read");
        assertEquals(40.0, byReason.get("Reason=MALFORMED"));
        assertEquals(20.0, byReason.get("Reason=MISSING_STATUS"));
        assertEquals(0.0, byReason.get("Reason=TOO_LATE"));
    }

    /** The two wire protocols of CloudWatch's PutMetricData, each decoded into the same tree (Namespace, MetricData[]). */
    enum Protocol {
        CBOR, QUERY;

        static Protocol of(String contentType) {
            if (contentType != null && contentType.startsWith("application/cbor")) {
                return CBOR;
            }
            if (contentType != null && contentType.startsWith("application/x-www-form-urlencoded")) {
                return QUERY;
            }
            throw new AssertionError("neither protocol of PutMetricData: " + contentType);
        }

        JsonNode decode(byte[] body) throws java.io.IOException {
            if (this == CBOR) {
                return new ObjectMapper(new CBORFactory()).readTree(body);
            }
            // Action=PutMetricData&Namespace=...&MetricData.member.1.MetricName=...&MetricData.member.1.Dimensions.member.1.Name=...
            ObjectMapper json = new ObjectMapper();
            com.fasterxml.jackson.databind.node.ObjectNode root = json.createObjectNode();
            java.util.TreeMap<Integer, com.fasterxml.jackson.databind.node.ObjectNode> data = new java.util.TreeMap<>();
            java.util.Map<String, java.util.TreeMap<Integer, com.fasterxml.jackson.databind.node.ObjectNode>> dims = new HashMap<>();
            for (String pair : new String(body, java.nio.charset.StandardCharsets.UTF_8).split("&")) {
                String[] kv = pair.split("=", 2);
                String key = java.net.URLDecoder.decode(kv[0], java.nio.charset.StandardCharsets.UTF_8);
                String value = java.net.URLDecoder.decode(kv.length > 1 ? kv[1] : "", java.nio.charset.StandardCharsets.UTF_8);
                String[] part = key.split("\\.");
                if (part.length == 1) {
                    root.put(key, value);
                    continue;
                }
                int d = Integer.parseInt(part[2]);
                com.fasterxml.jackson.databind.node.ObjectNode datum = data.computeIfAbsent(d, i -> json.createObjectNode());
                if (part[3].equals("Dimensions")) {
                    dims.computeIfAbsent(part[2], i -> new java.util.TreeMap<>())
                            .computeIfAbsent(Integer.parseInt(part[5]), i -> json.createObjectNode()).put(part[6], value);
                } else if (part[3].equals("Value")) {
                    datum.put("Value", Double.parseDouble(value));
                } else {
                    datum.put(part[3], value);
                }
            }
            com.fasterxml.jackson.databind.node.ArrayNode all = root.putArray("MetricData");
            data.forEach((d, datum) -> {
                datum.putArray("Dimensions").addAll(dims.getOrDefault(String.valueOf(d), new java.util.TreeMap<>()).values());
                all.add(datum);
            });
            return root;
        }
    }

    @Test
    void aRefusedPublishIsLoggedAndNeverFailsTheRun() {
        status = 500;
        RunMetrics.report(settings(), "run-1", Instant.now(), RunMetrics.of(finishedRun()));
        assertTrue(requests.size() >= 1, "the SDK tried (and retried)");
    }
}
