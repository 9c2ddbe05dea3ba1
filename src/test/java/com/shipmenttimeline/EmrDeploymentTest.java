package com.shipmenttimeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.shipmenttimeline.jobs.EmrSteps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Everything in emr/ that can be checked without an AWS account: the CloudFormation template's
 * references, the schedule, the IAM policies, and every step's arguments against the launcher's
 * real parser and configuration.
 */
class EmrDeploymentTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TEMPLATE = Path.of("emr/cloudformation/shipment-timeline.yaml");
    private static final Pattern SUB = Pattern.compile("\\$\\{([^}!]+)}");

    private static JsonNode template() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(TEMPLATE.toFile());
    }

    private static Set<String> names(JsonNode t, String section) {
        Set<String> s = new HashSet<>();
        t.path(section).fieldNames().forEachRemaining(s::add);
        return s;
    }

    private static void walk(JsonNode n, String where, java.util.function.BiConsumer<String, JsonNode> visit) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> {
                visit.accept(e.getKey(), e.getValue());
                walk(e.getValue(), where + "." + e.getKey(), visit);
            });
        } else if (n.isArray()) {
            for (JsonNode c : n) {
                walk(c, where, visit);
            }
        }
    }

    @Test
    void everyReferenceInTheTemplateResolves() throws Exception {
        JsonNode t = template();
        Set<String> params = names(t, "Parameters");
        Set<String> resources = names(t, "Resources");
        Set<String> conditions = names(t, "Conditions");
        List<String> broken = new ArrayList<>();
        walk(t, "", (key, value) -> {
            switch (key) {
                case "Ref" -> {
                    String r = value.asText();
                    if (!params.contains(r) && !resources.contains(r) && !r.startsWith("AWS::")) {
                        broken.add("Ref " + r);
                    }
                }
                case "Fn::GetAtt" -> {
                    if (!resources.contains(value.get(0).asText())) {
                        broken.add("GetAtt " + value);
                    }
                }
                case "Fn::Sub" -> {
                    Matcher m = SUB.matcher(value.asText());
                    while (m.find()) {
                        String r = m.group(1).split("\\.")[0];
                        if (!params.contains(r) && !resources.contains(r) && !r.startsWith("AWS::")) {
                            broken.add("Sub ${" + m.group(1) + "}");
                        }
                    }
                }
                case "Condition" -> {
                    if (value.isTextual() && !conditions.contains(value.asText())) {
                        broken.add("Condition " + value.asText());
                    }
                }
                default -> { }
            }
        });
        assertEquals(List.of(), broken);
        assertFalse(Files.readString(TEMPLATE).contains(" !"), "long-form intrinsics only, so any YAML parser reads the file");
    }

    @Test
    void theBaseRunIsScheduledAtMidnightUtcAndTheIncrementalOnNewRawFiles() throws Exception {
        JsonNode r = template().get("Resources");
        JsonNode daily = r.get("DailyBaseSchedule").get("Properties");
        assertEquals("cron(0 0 * * ? *)", daily.get("ScheduleExpression").asText());
        assertEquals("UTC", daily.get("ScheduleExpressionTimezone").asText());
        String[] cron = daily.get("ScheduleExpression").asText().replaceAll("cron\\((.*)\\)", "$1").split(" ");
        assertEquals(6, cron.length, "EventBridge cron has six fields");
        assertEquals("0", cron[0], "minute");
        assertEquals("0", cron[1], "hour");
        assertEquals("arn:aws:scheduler:::aws-sdk:emr:addJobFlowSteps", daily.get("Target").get("Arn").asText());

        JsonNode rule = r.get("IncrementalTrigger").get("Properties").get("EventPattern");
        assertEquals("Object Created", rule.get("detail-type").get(0).asText());
        assertEquals("RawBucket", rule.at("/detail/bucket/name/0/Ref").asText());
        assertEquals("shipment_events/", rule.at("/detail/object/key/0/prefix").asText());
        assertTrue(r.get("RawBucket").at("/Properties/NotificationConfiguration/EventBridgeConfiguration/EventBridgeEnabled").asBoolean());

        // The state machine adds a step only when no incremental step is waiting already.
        JsonNode sm = JSON.readTree(r.get("IncrementalStateMachine").at("/Properties/DefinitionString/Fn::Sub").asText());
        assertEquals("ListWaitingSteps", sm.get("StartAt").asText());
        assertEquals("PENDING", sm.at("/States/ListWaitingSteps/Parameters/StepStates/0").asText());
        assertEquals("NothingToDo", sm.at("/States/AlreadyWaiting/Choices/0/Next").asText());
        assertTrue(sm.at("/States/ListWaitingSteps/ResultSelector/waiting.$").asText().contains("'timeline-incremental'"));
    }

    @Test
    void noPolicyGrantsEverythingOnEverything() throws Exception {
        JsonNode r = template().get("Resources");
        List<String> wide = new ArrayList<>();
        r.fields().forEachRemaining(res -> {
            if (res.getValue().get("Type").asText().equals("AWS::KMS::Key")) {
                return; // a key policy's "*" resource is the key itself
            }
            walk(res.getValue(), res.getKey(), (key, value) -> {
                if (!key.equals("Statement")) {
                    return;
                }
                for (JsonNode st : value) {
                    if (!"Allow".equals(st.path("Effect").asText())) {
                        continue;
                    }
                    List<String> actions = texts(st.get("Action"));
                    List<String> resourcesOf = texts(st.get("Resource"));
                    boolean anyAction = actions.stream().anyMatch(a -> a.equals("*") || a.endsWith(":*"));
                    if (anyAction) {
                        wide.add(res.getKey() + " allows " + actions);
                    }
                    if (resourcesOf.contains("*") && !st.has("Condition")) {
                        wide.add(res.getKey() + " allows " + actions + " on * without a condition");
                    }
                }
            });
        });
        assertEquals(List.of(), wide);
    }

    /**
     * Least privilege, role by role: the exact actions each role may take, each one with the code
     * that needs it. A new grant fails this test until it is added here with its reason; a grant the
     * code stopped needing shows up as a difference too. Raw events are read-only.
     */
    @Test
    void eachRoleGrantsExactlyTheActionsItsCodeUses() throws Exception {
        Map<String, Set<String>> expected = new LinkedHashMap<>();
        expected.put("EmrInstanceRole", Set.of(
                "s3:GetObject", "s3:ListBucket", // RawEventSource and the stream read raw files; the jar and conf
                "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", // Delta lake, streaming checkpoint, connector tempdir
                "kms:Decrypt", "kms:GenerateDataKey", // the buckets' SSE-KMS key
                "redshift:GetClusterCredentials", "redshift:DescribeClusters", // jdbc:redshift:iam:// sign-in (RedshiftConnector)
                "cloudwatch:PutMetricData")); // CloudWatchPublisher
        expected.put("RedshiftCopyRole", Set.of("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketLocation",
                "kms:Decrypt", "kms:GenerateDataKey")); // the connector's COPY from and UNLOAD to the tempdir
        expected.put("SchedulerRole", Set.of("elasticmapreduce:AddJobFlowSteps")); // nightly base, monitor
        expected.put("IncrementalStateMachineRole", Set.of("elasticmapreduce:ListSteps", "elasticmapreduce:AddJobFlowSteps",
                "elasticmapreduce:DescribeStep")); // add the incremental step unless one is already waiting
        expected.put("IncrementalTriggerRole", Set.of("states:StartExecution")); // EventBridge on new raw objects
        expected.put("ReplicationRole", Set.of("s3:GetReplicationConfiguration", "s3:ListBucket", // S3 replication reads the
                "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", // source buckets' versions,
                "s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags", // writes the DR replicas,
                "kms:Decrypt", "kms:Encrypt")); // decrypts with the data key, encrypts with the DR key (each only through S3)

        JsonNode resources = template().get("Resources");
        Map<String, Set<String>> actual = new LinkedHashMap<>();
        List<String> rawWrites = new ArrayList<>();
        resources.fields().forEachRemaining(res -> {
            if (!res.getValue().get("Type").asText().equals("AWS::IAM::Role")) {
                return;
            }
            Set<String> actions = new java.util.TreeSet<>();
            for (JsonNode policy : res.getValue().path("Properties").path("Policies")) {
                for (JsonNode st : policy.path("PolicyDocument").path("Statement")) {
                    if ("Allow".equals(st.path("Effect").asText())) {
                        actions.addAll(texts(st.get("Action")));
                        boolean onRaw = st.path("Resource").toString().contains("RawBucket");
                        texts(st.get("Action")).stream().filter(a -> onRaw && (a.contains("Put") || a.contains("Delete")))
                                .forEach(a -> rawWrites.add(res.getKey() + " " + a));
                    }
                }
            }
            if (!actions.isEmpty()) {
                actual.put(res.getKey(), actions);
            }
        });
        assertEquals(expected.keySet(), actual.keySet(), "roles with inline policies");
        for (String role : expected.keySet()) {
            assertEquals(new java.util.TreeSet<>(expected.get(role)), actual.get(role), role);
        }
        assertEquals(List.of(), rawWrites, "raw events are read-only");
        assertTrue(resources.path("EmrServiceRole").path("Properties").path("Policies").isMissingNode(),
                "the EMR service role has only AWS's managed service policy");
        com.shipmenttimeline.testing.Reliability.record("security", "IAM policies in emr/", "each of " + actual.size()
                + " roles grants exactly the actions its code uses (" + actual.values().stream().mapToInt(Set::size).sum()
                + " grants in all, each with its reason in the test), no wildcard action, no * resource without a condition, raw bucket read-only");
    }

    private static List<String> texts(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n == null) {
            return out;
        }
        if (n.isArray()) {
            n.forEach(x -> out.add(x.isTextual() ? x.asText() : x.toString()));
        } else {
            out.add(n.isTextual() ? n.asText() : n.toString());
        }
        return out;
    }

    @Test
    void theAlarmsAreTheDocumentsAlertConditions() throws Exception {
        JsonNode r = template().get("Resources");
        Map<String, String> expected = Map.of("ProcessingLagAlarm", "ProcessingLagSeconds>1800", "ErrorRateAlarm", "ErrorRatePercent>5",
                "MissingEventsAlarm", "MissingEvents>1000", "DailyCostAlarm", "EstimatedCostUSD>150");
        expected.forEach((name, condition) -> {
            JsonNode p = r.get(name).get("Properties");
            assertEquals(condition, p.get("MetricName").asText() + ">" + p.get("Threshold").asText(), name);
            assertEquals("GreaterThanThreshold", p.get("ComparisonOperator").asText());
            assertEquals("AlertTopic", p.at("/AlarmActions/0/Ref").asText());
            assertTrue(com.shipmenttimeline.jobs.metrics.RunMetrics.NAMES.contains(p.get("MetricName").asText()),
                    "the jobs publish " + p.get("MetricName").asText());
        });
        assertEquals(86400, r.get("DailyCostAlarm").at("/Properties/Period").asInt(), "cost is summed over a day");
        assertEquals(1, r.get("ProcessedBucket").at("/Properties/LifecycleConfiguration/Rules/0/ExpirationInDays").asInt());
        assertEquals("redshift-temp/", r.get("ProcessedBucket").at("/Properties/LifecycleConfiguration/Rules/0/Prefix").asText());
    }

    @Test
    void theDashboardShowsWhatTheCodePublishesAndTheAlarmsStates() throws Exception {
        JsonNode r = template().get("Resources");
        JsonNode body = JSON.readTree(r.get("Dashboard").at("/Properties/DashboardBody/Fn::Sub").asText());
        Set<String> shown = new java.util.TreeSet<>();
        Set<String> reasons = new java.util.TreeSet<>();
        List<String> alarms = new ArrayList<>();
        for (JsonNode widget : body.get("widgets")) {
            if (widget.get("type").asText().equals("alarm")) {
                widget.at("/properties/alarms").forEach(a -> alarms.add(a.asText()));
                continue;
            }
            assertEquals("metric", widget.get("type").asText());
            for (JsonNode metric : widget.at("/properties/metrics")) {
                String where = widget.at("/properties/title").asText() + ": " + metric;
                assertEquals("ShipmentTimeline", metric.get(0).asText(), where);
                String name = metric.get(1).asText();
                assertTrue(com.shipmenttimeline.jobs.metrics.RunMetrics.NAMES.contains(name), "the code publishes " + where);
                assertEquals("Environment", metric.get(2).asText(), where);
                assertEquals("${Environment}", metric.get(3).asText(), where);
                if (metric.size() > 5) {
                    assertEquals("Reason", metric.get(4).asText(), where);
                    assertEquals(com.shipmenttimeline.jobs.metrics.RunMetrics.QUARANTINED, name, where);
                    reasons.add(metric.get(5).asText());
                }
                shown.add(name);
            }
        }
        assertEquals(new java.util.TreeSet<>(List.of("ProcessingLagSeconds", "ThroughputEventsPerMinute", "ErrorRatePercent", "QuarantinedEvents",
                "MissingEvents", "EstimatedCostUSD", "RunsFailed", "DurationSeconds", "DataFreshnessSeconds", "ViewQueryMilliseconds",
                "CostPerEventUSD")), shown, "lag, throughput, error rate by reason, missing events, cost, runs failed and batch duration"
                + " (issue: a CloudWatch dashboard), and the freshness, view query time and cost per event the monitor and runs publish");
        assertEquals(java.util.Arrays.stream(com.shipmenttimeline.schemas.QuarantineReason.values()).map(Enum::name)
                .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new)), reasons, "every quarantine reason");
        List<String> alarmResources = new ArrayList<>();
        r.fieldNames().forEachRemaining(n -> {
            if (r.get(n).get("Type").asText().equals("AWS::CloudWatch::Alarm")) {
                alarmResources.add("${" + n + ".Arn}");
            }
        });
        assertEquals(alarmResources, alarms, "the alarm widget shows every alarm");
    }

    @Test
    void withADrRegionTheRawAndConfigBucketsReplicateThereEncrypted() throws Exception {
        JsonNode r = template().get("Resources");
        assertEquals("ReplicatesToDr", r.get("ReplicationRole").get("Condition").asText(), "no DR region, no role");
        for (String bucket : List.of("RawBucket", "ConfigBucket")) {
            JsonNode p = r.get(bucket).get("Properties");
            assertEquals("Enabled", p.at("/VersioningConfiguration/Status").asText(), bucket + ": replication needs versioning");
            JsonNode when = p.at("/ReplicationConfiguration/Fn::If");
            assertEquals("ReplicatesToDr", when.get(0).asText(), bucket);
            assertEquals("AWS::NoValue", when.at("/2/Ref").asText(), bucket + ": nothing without a DR region");
            JsonNode rule = when.at("/1/Rules/0");
            assertEquals("ReplicationRole", when.at("/1/Role/Fn::GetAtt/0").asText(), bucket);
            assertEquals("Enabled", rule.at("/SourceSelectionCriteria/SseKmsEncryptedObjects/Status").asText(), bucket + ": SSE-KMS objects too");
            assertEquals("DrReplicaKeyArn", rule.at("/Destination/EncryptionConfiguration/ReplicaKmsKeyID/Ref").asText(), bucket);
            assertTrue(rule.at("/Destination/Bucket/Fn::Sub").asText().contains(bucket.equals("RawBucket") ? "${DrRawReplicaBucket}"
                    : "${DrConfigReplicaBucket}"), bucket);
        }
        for (JsonNode st : r.get("ReplicationRole").at("/Properties/Policies/0/PolicyDocument/Statement")) {
            if (texts(st.get("Action")).stream().anyMatch(a -> a.startsWith("kms:"))) {
                assertTrue(st.at("/Condition/StringLike/kms:ViaService/Fn::Sub").asText().startsWith("s3."),
                        "the keys are used only through S3: " + st);
            }
        }
    }

    @Test
    void everyBucketIsEncryptedPrivateAndTlsOnly() throws Exception {
        JsonNode r = template().get("Resources");
        Map<String, String> tlsOnly = new LinkedHashMap<>();
        r.fields().forEachRemaining(res -> {
            JsonNode p = res.getValue().path("Properties");
            if (res.getValue().get("Type").asText().equals("AWS::S3::BucketPolicy")) {
                for (JsonNode st : p.at("/PolicyDocument/Statement")) {
                    if (st.path("Effect").asText().equals("Deny") && st.at("/Condition/Bool/aws:SecureTransport").asText().equals("false")) {
                        tlsOnly.put(p.at("/Bucket/Ref").asText(), res.getKey());
                    }
                }
            }
        });
        List<String> buckets = new ArrayList<>();
        r.fields().forEachRemaining(res -> {
            if (!res.getValue().get("Type").asText().equals("AWS::S3::Bucket")) {
                return;
            }
            String name = res.getKey();
            buckets.add(name);
            JsonNode p = res.getValue().get("Properties");
            String sse = p.at("/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/SSEAlgorithm").asText();
            // Redshift's audit logging takes only S3-managed keys; every other bucket has the stack's KMS key.
            assertEquals(name.equals("AuditLogBucket") ? "AES256" : "aws:kms", sse, name);
            for (String block : List.of("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")) {
                assertTrue(p.at("/PublicAccessBlockConfiguration/" + block).asBoolean(), name + " " + block);
            }
            assertTrue(tlsOnly.containsKey(name), name + " refuses plain HTTP");
        });
        assertEquals(List.of("RawBucket", "ProcessedBucket", "ConfigBucket", "AuditLogBucket"), buckets);
    }

    @Test
    void theAuditLogBucketTakesOnlyTheClustersLogsAndKeepsThemForTheRetention() throws Exception {
        JsonNode r = template().get("Resources");
        assertEquals("AuditLogRetentionDays", r.get("AuditLogBucket").at("/Properties/LifecycleConfiguration/Rules/0/ExpirationInDays/Ref").asText());
        assertEquals(731, template().at("/Parameters/AuditLogRetentionDays/Default").asInt(), "two years");
        List<String> grants = new ArrayList<>();
        for (JsonNode st : r.get("AuditLogBucketPolicy").at("/Properties/PolicyDocument/Statement")) {
            if (st.path("Effect").asText().equals("Allow")) {
                assertEquals("redshift.amazonaws.com", st.at("/Principal/Service").asText());
                assertTrue(st.at("/Condition/StringEquals/aws:SourceArn/Fn::Sub").asText().endsWith(":cluster:${RedshiftClusterIdentifier}"),
                        "only the stack's cluster: " + st);
                grants.add(st.get("Action").asText());
            }
        }
        assertEquals(List.of("s3:PutObject", "s3:GetBucketAcl"), grants);
    }

    @Test
    void theLifecycleRulesKeepWhatTheJobsRetain() throws Exception {
        JsonNode r = template().get("Resources");
        JsonNode raw = rule(r.get("RawBucket"), "Retention");
        assertEquals("shipment_events/", raw.get("Prefix").asText(), "raw events expire; the reference data does not");
        assertEquals("RetentionDays", raw.at("/ExpirationInDays/Ref").asText());
        assertEquals("RetentionDays", r.at("/EmrCluster/Properties/Configurations/0/ConfigurationProperties/"
                + "spark.yarn.appMasterEnv.TIMELINE_RETENTION_DAYS/Ref").asText(), "the jobs purge at the same age");
        int retention = template().at("/Parameters/RetentionDays/Default").asInt();
        assertEquals(com.shipmenttimeline.jobs.config.Settings.load(null, List.of()).retentionDays(), retention,
                "the template's default is the jobs' default (two years)");
        assertTrue(template().at("/Parameters/RetentionDays/MinValue").asInt()
                > com.shipmenttimeline.jobs.config.Settings.load(null, List.of()).windowDays(), "more than the base window");
        JsonNode lake = rule(r.get("ProcessedBucket"), "LakeBackstop");
        assertEquals("lake/", lake.get("Prefix").asText());
        assertEquals("LakeFileExpirationDays", lake.at("/ExpirationInDays/Ref").asText());
        assertTrue(template().at("/Parameters/LakeFileExpirationDays/Default").asInt() >= retention + 8,
                "no file the lake still uses, nor one Delta keeps for its 7 days, is that old");
        for (JsonNode bucketRule : r.at("/ProcessedBucket/Properties/LifecycleConfiguration/Rules")) {
            assertTrue(!bucketRule.get("Prefix").asText().startsWith("streaming-checkpoint"), "the stream's checkpoint has no expiry");
        }
    }

    @Test
    void theClusterGetsDailySnapshotsAfterTheBaseRunCopiedToTheDrRegionAndAuditLogsByTheStacksCommands() throws Exception {
        JsonNode t = template();
        JsonNode schedule = t.at("/Resources/RedshiftSnapshotSchedule/Properties");
        assertEquals("AWS::Redshift::SnapshotSchedule", t.at("/Resources/RedshiftSnapshotSchedule/Type").asText());
        assertEquals(1, schedule.get("ScheduleDefinitions").size());
        Matcher daily = Pattern.compile("cron\\((\\d+) (\\d+) \\*\\)").matcher(schedule.get("ScheduleDefinitions").get(0).asText());
        assertTrue(daily.matches(), "once a day, every day: " + schedule.get("ScheduleDefinitions"));
        assertTrue(t.at("/Resources/DailyBaseSchedule/Properties/ScheduleExpression").asText().equals("cron(0 0 * * ? *)")
                && Integer.parseInt(daily.group(2)) >= 1, "after the 00:00 UTC base run has had time to commit");
        String id = schedule.at("/ScheduleIdentifier/Fn::Sub").asText();
        assertTrue(id.replace("${Environment}", "prod").matches("[a-z0-9]+"), "Redshift takes alphanumeric identifiers only: " + id);

        String setup = t.at("/Outputs/RedshiftSetupCommands/Value/Fn::Sub").asText();
        assertTrue(setup.contains("--automated-snapshot-retention-period ${SnapshotRetentionDays}"), setup);
        assertTrue(setup.contains("modify-cluster-snapshot-schedule --cluster-identifier ${RedshiftClusterIdentifier} --schedule-identifier " + id),
                "attaches the stack's schedule: " + setup);
        assertTrue(setup.contains("enable-logging --cluster-identifier ${RedshiftClusterIdentifier} --bucket-name ${AuditLogBucket}"), setup);
        JsonNode copy = t.at("/Outputs/RedshiftDrSnapshotCopyCommand");
        assertEquals("ReplicatesToDr", copy.get("Condition").asText(), "only with a DR region");
        assertTrue(copy.at("/Value/Fn::Sub").asText().contains("--destination-region ${DrRegion} --retention-period ${DrSnapshotRetentionDays}"));
        for (String p : List.of("SnapshotRetentionDays", "DrSnapshotRetentionDays")) {
            assertEquals(1, t.at("/Parameters/" + p + "/MinValue").asInt(), p);
            assertEquals(35, t.at("/Parameters/" + p + "/MaxValue").asInt(), p + ": Redshift keeps automated snapshots 35 days at most");
        }
    }

    private static JsonNode rule(JsonNode bucket, String id) {
        for (JsonNode rule : bucket.at("/Properties/LifecycleConfiguration/Rules")) {
            if (rule.get("Id").asText().equals(id)) {
                return rule;
            }
        }
        throw new AssertionError("no lifecycle rule " + id);
    }

    /** Every step: the files for `aws emr add-steps` and the ones the schedules and the state machine add. */
    private static Map<String, JsonNode> allSteps() throws Exception {
        Map<String, JsonNode> steps = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(Path.of("emr/steps"))) {
            for (Path f : files.sorted().toList()) {
                for (JsonNode s : JSON.readTree(f.toFile())) {
                    steps.put(f.getFileName() + ":" + s.get("Name").asText(), s);
                }
            }
        }
        JsonNode r = template().get("Resources");
        for (String schedule : List.of("DailyBaseSchedule", "MonitorSchedule")) {
            JsonNode input = JSON.readTree(r.get(schedule).at("/Properties/Target/Input/Fn::Sub").asText());
            for (JsonNode s : input.get("Steps")) {
                steps.put(schedule + ":" + s.get("Name").asText(), cliShape(s));
            }
        }
        JsonNode sm = JSON.readTree(r.get("IncrementalStateMachine").at("/Properties/DefinitionString/Fn::Sub").asText());
        JsonNode s = sm.at("/States/AddIncrementalStep/Parameters/Step");
        steps.put("IncrementalStateMachine:" + s.get("Name").asText(), cliShape(s));
        return steps;
    }

    /** An SDK-shaped step (HadoopJarStep) in the CLI's shape (Jar and Args at the top). */
    private static JsonNode cliShape(JsonNode sdk) {
        ObjectNode o = JSON.createObjectNode();
        o.put("Type", "CUSTOM_JAR");
        o.put("Name", sdk.get("Name").asText());
        o.put("ActionOnFailure", sdk.get("ActionOnFailure").asText());
        o.put("Jar", sdk.at("/HadoopJarStep/Jar").asText());
        o.set("Args", sdk.at("/HadoopJarStep/Args"));
        return o;
    }

    @Test
    void theTemplateAddsExactlyTheStepsOfTheStepFiles() throws Exception {
        Map<String, JsonNode> steps = allSteps();
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        steps.forEach((where, s) -> {
            if (where.endsWith(".json:" + s.get("Name").asText())) {
                byName.put(s.get("Name").asText(), s);
            }
        });
        steps.forEach((where, s) -> assertEquals(byName.get(s.get("Name").asText()), s, where));
        assertEquals(Set.of("timeline-daily-base", "timeline-incremental", "timeline-backfill", "timeline-replay", "timeline-monitor"),
                byName.keySet());
    }

    private static final Map<String, String> STACK = Map.ofEntries(Map.entry("RawBucket", "raw-b"), Map.entry("ProcessedBucket", "proc-b"),
            Map.entry("ConfigBucket", "conf-b"), Map.entry("JarKey", "jars/t.jar"),
            Map.entry("RedshiftJdbcUrl", "jdbc:redshift:iam://c.x.eu-west-1.redshift.amazonaws.com:5439/dev"),
            Map.entry("RedshiftDbUser", "timeline_etl"), Map.entry("RedshiftCopyRole.Arn", "arn:aws:iam::123456789012:role/copy"),
            Map.entry("ClusterCostPerHour", "2.5"), Map.entry("RetentionDays", "1095"), Map.entry("FromDate", "2025-07-01"));

    /** The cluster's spark-defaults classification, its intrinsic functions resolved with these values. */
    private static Map<String, String> sparkDefaults(Map<String, String> values) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode c : template().at("/Resources/EmrCluster/Properties/Configurations")) {
            if (!c.get("Classification").asText().equals("spark-defaults")) {
                continue;
            }
            c.get("ConfigurationProperties").fields().forEachRemaining(e -> {
                JsonNode v = e.getValue();
                String text = v.isTextual() ? v.asText()
                        : v.has("Ref") ? values.get(v.get("Ref").asText())
                        : v.has("Fn::GetAtt") ? values.get(v.get("Fn::GetAtt").get(0).asText() + "." + v.get("Fn::GetAtt").get(1).asText())
                        : fill(v.get("Fn::Sub").asText(), values);
                out.put(e.getKey(), text);
            });
        }
        return out;
    }

    private static String fill(String sub, Map<String, String> values) {
        Matcher m = SUB.matcher(sub);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, Matcher.quoteReplacement(values.get(m.group(1))));
        }
        return m.appendTail(b).toString();
    }

    @Test
    void whatEveryStepSharesIsInTheClustersSparkDefaults() throws Exception {
        Map<String, String> d = sparkDefaults(STACK);
        assertTrue(d.get("spark.jars").contains("/usr/share/aws/redshift/spark-redshift/lib/spark-redshift.jar"));
        assertTrue(d.get("spark.jars").contains("/usr/share/aws/redshift/jdbc/RedshiftJDBC.jar"));
        assertEquals("UTC", d.get("spark.yarn.appMasterEnv.TZ"), "the driver's JVM runs in UTC");
        assertEquals("UTC", d.get("spark.executorEnv.TZ"), "so do the executors'");
        assertEquals("UTC", d.get("spark.sql.session.timeZone"));
        assertEquals("1", d.get("spark.yarn.maxAppAttempts"), "one YARN attempt: a failed run is not run again behind the state machine's back");
        assertEquals("s3://raw-b", d.get("spark.yarn.appMasterEnv.TIMELINE_RAW_URI"));
        assertEquals("arn:aws:iam::123456789012:role/copy", d.get("spark.yarn.appMasterEnv.TIMELINE_REDSHIFT_IAM_ROLE"));
        assertFalse(Files.readString(TEMPLATE).contains("--add-opens"), "Spark's own launcher adds them");
    }

    @Test
    void everyStepsArgumentsAreTheLaunchersRealFlagsAndConfiguration() throws Exception {
        for (String env : List.of("dev", "prod")) {
            Map<String, String> values = new LinkedHashMap<>(STACK);
            values.put("Environment", env);
            Map<String, String> defaults = sparkDefaults(values);
            for (Map.Entry<String, JsonNode> e : allSteps().entrySet()) {
                List<String> args = new ArrayList<>();
                e.getValue().get("Args").forEach(a -> args.add(a.asText()));
                assertEquals("command-runner.jar", e.getValue().get("Jar").asText());
                assertTrue(args.stream().noneMatch(a -> a.equals("--jars") || a.contains("extraJavaOptions") || a.contains("appMasterEnv")
                        || a.contains("--add-opens")), e.getKey() + ": what steps share belongs in spark-defaults");
                EmrSteps.Parsed p = EmrSteps.parse(args, values, Map.of("ToDate", "2025-07-05", "ReplayFrom", "2025-07-11T10:00:00Z"), defaults);
                assertEquals("com.shipmenttimeline.jobs.Launcher", p.sparkSubmit().get("--class"), e.getKey());
                String expectedMode = e.getKey().replaceAll(".*:timeline-", "").replace('-', '_');
                if (expectedMode.equals("monitor")) {
                    assertEquals("local[1]", p.sparkSubmit().get("--master"), "the monitor's JDBC check starts no YARN application");
                    assertEquals(null, p.sparkSubmit().get("--deploy-mode"));
                    assertTrue(p.sparkSubmit().get("--driver-java-options").contains("-Duser.timezone=UTC"));
                } else {
                    assertEquals("cluster", p.sparkSubmit().get("--deploy-mode"), e.getKey());
                }
                assertEquals("s3://conf-b/jars/t.jar", p.applicationJar());
                assertEquals(expectedMode.equals("replay") ? "incremental" : expectedMode, p.request().mode().flag(), e.getKey());
                assertEquals("s3://raw-b", p.settings().paths().raw(), e.getKey() + ": the step's environment fills the bundled configuration");
                assertEquals("s3://proc-b/redshift-temp", p.settings().warehouse().redshift().tempdir());
                assertEquals("arn:aws:iam::123456789012:role/copy", p.settings().warehouse().redshift().iamRoleArn());
                assertEquals("jdbc:redshift:iam://c.x.eu-west-1.redshift.amazonaws.com:5439/dev", p.settings().warehouse().jdbcUrl());
                assertEquals(2.5, p.settings().metrics().clusterCostPerHour());
                assertEquals(env, p.settings().metrics().environment());
                if (!expectedMode.equals("monitor")) { // a local JVM without the YARN environment; it purges nothing
                    assertEquals(1095, p.settings().retentionDays(), e.getKey() + ": the stack's RetentionDays reaches the jobs");
                }
            }
        }
    }

    @Test
    void aStepWithAFlagTheLauncherDoesNotKnowIsCaught() {
        List<String> args = new ArrayList<>(List.of("spark-submit", "--deploy-mode", "cluster", "--class", "com.shipmenttimeline.jobs.Launcher",
                "s3://b/t.jar", "--mode", "daily_base", "--no-such-flag"));
        try {
            EmrSteps.parse(args, Map.of(), Map.of());
            fail("an unknown flag must not parse");
        } catch (com.shipmenttimeline.jobs.config.UsageException expected) {
            assertTrue(expected.getMessage().contains("--no-such-flag"), expected.getMessage());
        }
    }
}
