package com.shipmenttimeline.jobs.config;

import com.shipmenttimeline.schemas.WarehouseDdl;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.io.File;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Every setting, read once at start-up from HOCON into typed records and checked. Precedence, highest
 * first: command-line {@code key=value}, environment variables, the {@code --conf} file, then
 * {@code reference.conf}. A bad value is a {@link UsageException} naming the key.
 */
public record Settings(
        Paths paths, SparkSettings spark, WarehouseSettings warehouse, int windowDays, Duration futureTolerance,
        IncrementalSettings incremental, GeneratorSettings generator, MetricsSettings metrics, MonitorSettings monitor,
        int retentionDays, int maxLineBytes) {

    /** Whether the nightly run purges rows older than {@link #retentionDays} (0: kept for ever). */
    public boolean retains() {
        return retentionDays > 0;
    }

    /** Retention's cutoff for a run at {@code asOf}: UTC midnight of its date minus the retention; rows before it go. */
    public Optional<Instant> retentionCutoff(Instant asOf) {
        return retains() ? Optional.of(asOf.atZone(java.time.ZoneOffset.UTC).toLocalDate().minusDays(retentionDays)
                .atStartOfDay(java.time.ZoneOffset.UTC).toInstant()) : Optional.empty();
    }

    /**
     * The purge's cutoff for a run at {@code asOf} when the clock reads {@code now}: retention's cutoff
     * for the earlier of the two, so that no {@code as_of} (one inside the future tolerance included)
     * moves it past what the clock allows (contract section 5: only rows older than the retention go).
     */
    public Optional<Instant> retentionCutoff(Instant asOf, Instant now) {
        return retentionCutoff(asOf.isAfter(now) ? now : asOf);
    }

    /** Where each run's figures go besides the log and processing_runs. */
    public enum MetricsSink { LOG, CLOUDWATCH }

    /** Run metrics: the sink, the CloudWatch namespace and dimension, and the cost model. */
    public record MetricsSettings(MetricsSink sink, String namespace, String environment, Optional<String> region,
            Optional<java.net.URI> endpoint, double clusterCostPerHour) {}

    /** The alert thresholds (docs/reference/metrics.md, "Alert conditions"), for {@code --mode monitor} and the CloudWatch alarms. */
    public record MonitorSettings(Duration maxLag, double maxErrorRate, long maxMissingEvents, double maxDailyCost) {}

    /**
     * The production warehouse: the spark-redshift connector stages rows through {@code tempdir} on
     * S3, Redshift reading and writing it as {@code iamRoleArn}. The JDBC connection authenticates
     * with IAM (no password) and always uses TLS.
     */
    public record RedshiftSettings(String tempdir, String iamRoleArn, String tempdirRegion, String sslMode, String tempFormat) {}

    /** The streaming source and trigger of the incremental job. Empty processing time: Trigger.AvailableNow. */
    /**
     * The incremental run's settings; {@code waitForBase}: how long a run that finds a base run holding
     * the lease waits for it before it ends successfully, leaving its files for the next trigger.
     */
    public record IncrementalSettings(int maxFilesPerTrigger, Duration maxFileAge, Optional<Duration> processingTime,
            Duration waitForBase, int smallBatchKeys) {}

    public record Paths(String raw, String lake, String streamingCheckpoint) {}

    /**
     * The Spark part of the configuration: defaults for the sessions the jobs build, which the user's own
     * Spark settings (spark-defaults, spark-submit's {@code --conf}, a notebook's session) override.
     * {@code uiEnabled} null means on unless the master is local.
     */
    public record SparkSettings(String master, String appName, int shufflePartitions, Boolean uiEnabled,
            Map<String, String> extra) {
        /** The web UI for a session on this master: as configured, else on everywhere but in local mode. */
        public boolean uiFor(String effectiveMaster) {
            return uiEnabled != null ? uiEnabled : !effectiveMaster.startsWith("local");
        }
    }

    public enum WarehouseKind { EMBEDDED, POSTGRES, REDSHIFT }

    /** When the realtime view is refreshed: after every committed run, after base runs only, or never. */
    public enum RefreshPolicy { EVERY_RUN, BASE_ONLY, NEVER }

    /** The password itself is never held here: only the name of the variable that holds it. */
    public record WarehouseSettings(WarehouseKind kind, String jdbcUrl, String user, String passwordEnv, String schema,
            int batchSize, RefreshPolicy refreshView, boolean materializedView, String embeddedDataDir, int embeddedPort,
            Duration leaseTtl, Duration leaseWait, RedshiftSettings redshift, int retryAttempts, Duration retryBackoff) {

        /** The password from the environment, if that variable is set and not empty. */
        public Optional<String> password() {
            String v = System.getenv(passwordEnv);
            return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
        }
    }

    public record GeneratorSettings(long events, int days, Optional<LocalDate> endDate, long seed, double defectRate,
            boolean whenEmpty, Duration holdBack, String incoming, double jsonShare) {}

    private static final String ROOT = "timeline";

    /**
     * @param confFile a path, or the name of a bundled environment file ({@code local},
     *     {@code emr-dev}, {@code emr-prod}); null for the reference defaults alone
     * @param overrides {@code key=value} pairs from the command line; keys may omit {@code timeline.}
     */
    public static Settings load(String confFile, List<String> overrides) {
        return load(confFile, overrides, ConfigFactory.systemEnvironment());
    }

    /**
     * As {@link #load(String, List)}, with the environment variables that {@code ${VAR}}
     * substitutions see given explicitly (tests give the ones an EMR step sets).
     */
    public static Settings load(String confFile, List<String> overrides, Config environment) {
        return fromConfig(resolve(confFile, overrides, environment).getConfig(ROOT));
    }

    /**
     * The effective configuration, one {@code key = value} line per setting in key order, as the
     * precedence resolves it and checked as {@link #load} checks it. Secrets are redacted: a key whose
     * name says password, secret, token, credential or access key shows {@value #REDACTED}, and a
     * URL's query parameters are cut. The warehouse password is never configuration at all: only the
     * name of the variable that holds it is.
     */
    public static List<String> effective(String confFile, List<String> overrides) {
        Config environment = ConfigFactory.systemEnvironment();
        load(confFile, overrides, environment);
        Config resolved = resolve(confFile, overrides, environment).getConfig(ROOT);
        return resolved.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> ROOT + "." + e.getKey() + " = " + shown(e.getKey(), e.getValue())).toList();
    }

    static final String REDACTED = "<redacted>";
    private static final java.util.regex.Pattern SECRET_KEY = java.util.regex.Pattern.compile(
            "(?i).*(password|secret|token|credential|access[._-]?key|session[._-]?key).*");

    private static final java.util.regex.Pattern PLAIN_SCALAR = java.util.regex.Pattern.compile("-?\\d+(\\.\\d+)?|true|false");

    private static String shown(String key, ConfigValue value) {
        if (SECRET_KEY.matcher(key).matches() && !key.endsWith("password-env")) {
            return REDACTED;
        }
        Object raw = value.unwrapped();
        if (raw instanceof String str && PLAIN_SCALAR.matcher(str).matches()) {
            return str; // a key=value override is a string; shown as the number or boolean it is read as
        }
        String rendered = value.render(com.typesafe.config.ConfigRenderOptions.concise());
        return rendered.startsWith("\"jdbc:") ? redactUrl(rendered.substring(1, rendered.length() - 1)) : rendered;
    }

    private static Config resolve(String confFile, List<String> overrides, Config environment) {
        Config reference = ConfigFactory.defaultReferenceUnresolved();
        Config file = confFile == null ? ConfigFactory.empty() : parseConfFile(confFile);
        Config cli = parseOverrides(overrides);
        rejectUnknownKeys(cli.withFallback(file), reference);
        Config user = cli.withFallback(environmentLayer(reference, environment)).withFallback(file);
        Config resolved;
        try {
            resolved = ConfigFactory.defaultOverrides().withFallback(user).withFallback(reference).withFallback(environment)
                    .resolve(com.typesafe.config.ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
            resolved.checkValid(ConfigFactory.defaultReference(), ROOT);
        } catch (ConfigException e) {
            throw new UsageException("bad configuration: " + oneLine(e.getMessage()));
        }
        return resolved;
    }

    /** Marks a variable's value while finding which keys read it. */
    private static final String ENV_MARKER = "\u0000env:";

    /**
     * The keys that reference.conf fills from an environment variable ({@code key = ${?VAR}}), with
     * the values of the variables that are set: a layer above the {@code --conf} file, so that a
     * variable outranks the file as the precedence says. Found by resolving the reference with each
     * variable standing for a marker: a key whose value is exactly a marker reads that variable.
     */
    private static Config environmentLayer(Config reference, Config environment) {
        Map<String, Object> markers = new LinkedHashMap<>();
        for (String name : environment.root().keySet()) {
            markers.put(name, ENV_MARKER + name);
        }
        Config probe;
        try {
            probe = reference.withFallback(com.typesafe.config.ConfigValueFactory.fromMap(markers).toConfig())
                    .resolve(com.typesafe.config.ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
        } catch (ConfigException e) {
            throw new UsageException("bad configuration: " + oneLine(e.getMessage()));
        }
        Map<String, Object> layer = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : probe.getConfig(ROOT).entrySet()) {
            Object v = e.getValue().unwrapped();
            String name = v instanceof String str && str.startsWith(ENV_MARKER) ? str.substring(ENV_MARKER.length()) : null;
            // exactly a marker: a key derived from one (a path under data-dir) is not the variable's own
            if (name != null && environment.root().containsKey(name)) {
                layer.put(ROOT + "." + e.getKey(), String.valueOf(environment.root().get(name).unwrapped()));
            }
        }
        return ConfigFactory.parseMap(layer);
    }

    private static Config parseConfFile(String confFile) {
        File f = new File(confFile);
        try {
            if (f.isFile()) {
                return ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false));
            }
            String resource = "conf/" + confFile + (confFile.endsWith(".conf") ? "" : ".conf");
            Config bundled = ConfigFactory.parseResources(Settings.class.getClassLoader(), resource);
            if (bundled.isEmpty()) {
                throw new UsageException("--conf " + confFile + ": no such file (nor a bundled environment: local, emr-dev, emr-prod)");
            }
            return bundled;
        } catch (ConfigException e) {
            throw new UsageException("--conf " + confFile + ": " + oneLine(e.getMessage()));
        }
    }

    /**
     * {@code key=value} pairs. A value that starts with a quote, brace or bracket is HOCON; any other is
     * the plain string as typed, so that {@code paths.raw=s3://bucket} keeps its {@code //} (HOCON
     * would read it as the start of a comment).
     */
    private static Config parseOverrides(List<String> overrides) {
        Config result = ConfigFactory.empty();
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("override '" + o + "' is not key=value");
            }
            String key = o.substring(0, eq).trim();
            if (!key.startsWith(ROOT + ".")) {
                key = ROOT + "." + key;
            }
            String value = o.substring(eq + 1).trim();
            Config one;
            try {
                if (value.startsWith("\"") || value.startsWith("{") || value.startsWith("[")) {
                    one = ConfigFactory.parseString(key + " = " + value);
                } else {
                    one = ConfigFactory.parseMap(Map.of(key, value));
                }
            } catch (ConfigException e) {
                throw new UsageException("override '" + o + "': " + oneLine(e.getMessage()));
            }
            result = one.withFallback(result);
        }
        return result;
    }

    private static void rejectUnknownKeys(Config user, Config reference) {
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(ROOT + ".")) {
                throw new UsageException("unknown configuration key '" + key + "': every key lives under 'timeline.'");
            }
            if (key.startsWith(ROOT + ".spark.extra.")) {
                continue;
            }
            if (!reference.hasPathOrNull(key)) {
                throw new UsageException("unknown configuration key '" + key + "' (see conf/reference.conf for every key)");
            }
        }
    }

    static Settings fromConfig(Config c) {
        Paths paths = new Paths(nonEmpty(c, "paths.raw"), nonEmpty(c, "paths.lake"), nonEmpty(c, "paths.streaming-checkpoint"));
        SparkSettings spark = spark(c);
        WarehouseSettings warehouse = warehouse(c);
        int windowDays = positive(c, "base.window-days");
        IncrementalSettings incremental = incremental(c);
        Duration tolerance = nonNegativeDuration(c, "validation.future-tolerance");
        return new Settings(paths, spark, warehouse, windowDays, tolerance, incremental, generator(c), metrics(c), monitor(c),
                retentionDays(c, windowDays), maxLineBytes(c, "validation.max-line-length"));
    }

    private static SparkSettings spark(Config c) {
        Map<String, String> extra = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : c.getConfig("spark.extra").entrySet()) {
            String key = e.getKey().replace("\"", "");
            if (!key.startsWith("spark.")) {
                throw new UsageException("timeline.spark.extra." + key + ": only spark.* settings belong here");
            }
            extra.put(key, String.valueOf(e.getValue().unwrapped()));
        }
        return new SparkSettings(c.getString("spark.master").trim(), nonEmpty(c, "spark.app-name"),
                positive(c, "spark.shuffle-partitions"), uiSwitch(c), Map.copyOf(extra));
    }

    /** {@code timeline.spark.ui-enabled}: true, false or auto (null: on unless the master is local). */
    private static Boolean uiSwitch(Config c) {
        String v = c.getString("spark.ui-enabled").trim().toLowerCase(java.util.Locale.ROOT);
        return switch (v) {
            case "auto" -> null;
            case "true", "on", "yes" -> Boolean.TRUE;
            case "false", "off", "no" -> Boolean.FALSE;
            default -> throw new UsageException("timeline.spark.ui-enabled must be true, false or auto (got '" + v + "')");
        };
    }

    private static WarehouseSettings warehouse(Config c) {
        WarehouseKind kind = enumValue(c, "warehouse.kind", WarehouseKind.class);
        String jdbcUrl = jdbcUrl(c, kind);
        String schema = c.getString("warehouse.schema");
        try {
            WarehouseDdl.checkIdentifier(schema, "timeline.warehouse.schema");
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        RefreshPolicy refresh = enumValue(c, "warehouse.refresh-view", RefreshPolicy.class);
        String viewKind = c.getString("warehouse.realtime-view").trim();
        if (!viewKind.equals("materialized") && !viewKind.equals("plain")) {
            throw new UsageException("timeline.warehouse.realtime-view must be materialized or plain (got '" + viewKind + "')");
        }
        int port = c.getInt("warehouse.embedded.port");
        if (port < 1024 || port > 65535) {
            throw new UsageException("timeline.warehouse.embedded.port must be between 1024 and 65535 (got " + port + ")");
        }
        String user = c.getString("warehouse.user").trim();
        if (!user.isEmpty() && !USER.matcher(user).matches()) {
            // It goes into the Redshift JDBC URL: "etl&LogLevel=6" would set driver parameters.
            throw new UsageException("timeline.warehouse.user must be a user name: a letter, then up to 127 letters, digits or _ + . @ -"
                    + " (got '" + user.replaceAll("[^\\w+.@-]", "?") + "')");
        }
        RedshiftSettings redshift = redshift(c, kind, jdbcUrl, user);
        return new WarehouseSettings(kind, jdbcUrl, user,
                nonEmpty(c, "warehouse.password-env"), schema, positive(c, "warehouse.batch-size"),
                refresh, viewKind.equals("materialized"), nonEmpty(c, "warehouse.embedded.data-dir"), port,
                positiveDuration(c, "warehouse.lease.ttl"), nonNegativeDuration(c, "warehouse.lease.wait"), redshift,
                positive(c, "warehouse.retry.attempts"), positiveDuration(c, "warehouse.retry.backoff"));
    }

    private static String jdbcUrl(Config c, WarehouseKind kind) {
        String jdbcUrl = c.getString("warehouse.jdbc-url").trim();
        if (kind != WarehouseKind.EMBEDDED && jdbcUrl.isEmpty()) {
            throw new UsageException("timeline.warehouse.jdbc-url is required when warehouse.kind = "
                    + kind.name().toLowerCase(Locale.ROOT) + " (or set TIMELINE_JDBC_URL)");
        }
        if (!jdbcUrl.isEmpty() && !jdbcUrl.startsWith("jdbc:")) {
            throw new UsageException("timeline.warehouse.jdbc-url must start with jdbc: (got '" + redactUrl(jdbcUrl) + "')");
        }
        if (jdbcUrl.toLowerCase(Locale.ROOT).contains("password=")) {
            throw new UsageException("timeline.warehouse.jdbc-url must not carry a password; put it in the variable named by warehouse.password-env");
        }
        return jdbcUrl;
    }

    private static IncrementalSettings incremental(Config c) {
        String trigger = c.getString("incremental.trigger").trim();
        Optional<Duration> processingTime;
        if (trigger.equals("available-now")) {
            processingTime = Optional.empty();
        } else {
            try {
                processingTime = Optional.of(c.getDuration("incremental.trigger"));
            } catch (ConfigException e) {
                throw new UsageException("timeline.incremental.trigger must be available-now or an interval such as '5 minutes' (got '"
                        + trigger + "')");
            }
        }
        return new IncrementalSettings(positive(c, "incremental.max-files-per-trigger"),
                positiveDuration(c, "incremental.max-file-age"), processingTime, nonNegativeDuration(c, "incremental.wait-for-base"),
                nonNegative(c, "incremental.small-batch-keys"));
    }

    private static GeneratorSettings generator(Config c) {
        String end = c.getString("generator.end-date").trim();
        Optional<LocalDate> endDate;
        try {
            endDate = end.isEmpty() ? Optional.empty() : Optional.of(LocalDate.parse(end));
        } catch (DateTimeParseException e) {
            throw new UsageException("timeline.generator.end-date must be YYYY-MM-DD (got '" + end + "')");
        }
        double defectRate = c.getDouble("generator.defect-rate");
        if (defectRate < 0 || defectRate > 1) {
            throw new UsageException("timeline.generator.defect-rate must be between 0 and 1 (got " + defectRate + ")");
        }
        long events = c.getLong("generator.events");
        if (events < 1) {
            throw new UsageException("timeline.generator.events must be at least 1 (got " + events + ")");
        }
        return new GeneratorSettings(events, positive(c, "generator.days"), endDate,
                c.getLong("generator.seed"), defectRate, c.getBoolean("generator.when-empty"),
                nonNegativeDuration(c, "generator.hold-back"), nonEmpty(c, "generator.incoming"), share(c, "generator.json-share"));
    }

    /** A warehouse user name, as Redshift allows it (a letter first; letters, digits, _ + . @ - after it). */
    private static final java.util.regex.Pattern USER = java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9_+.@-]{0,127}");
    private static final java.util.regex.Pattern ROLE_ARN = java.util.regex.Pattern.compile("arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]+");

    private static RedshiftSettings redshift(Config c, WarehouseKind kind, String jdbcUrl, String user) {
        RedshiftSettings r = new RedshiftSettings(c.getString("warehouse.redshift.tempdir").trim(),
                c.getString("warehouse.redshift.iam-role-arn").trim(), c.getString("warehouse.redshift.tempdir-region").trim(),
                c.getString("warehouse.redshift.ssl-mode").trim(), c.getString("warehouse.redshift.tempformat").trim().toUpperCase(Locale.ROOT));
        if (!List.of("CSV GZIP", "CSV", "PARQUET").contains(r.tempFormat())) {
            throw new UsageException("timeline.warehouse.redshift.tempformat must be CSV GZIP, CSV or PARQUET (got '"
                    + c.getString("warehouse.redshift.tempformat") + "')");
        }
        if (kind != WarehouseKind.REDSHIFT) {
            return r;
        }
        if (!jdbcUrl.startsWith("jdbc:redshift:iam://")) {
            throw new UsageException("timeline.warehouse.jdbc-url must be a jdbc:redshift:iam:// URL when warehouse.kind = redshift:"
                    + " the connection authenticates with IAM, never a password (got '" + redactUrl(jdbcUrl) + "')");
        }
        if (jdbcUrl.contains("?") || jdbcUrl.contains(";")) {
            throw new UsageException("timeline.warehouse.jdbc-url must carry no parameters when warehouse.kind = redshift;"
                    + " the user goes in warehouse.user and TLS is always on (got '" + redactUrl(jdbcUrl) + "')");
        }
        if (user.isEmpty()) {
            throw new UsageException("timeline.warehouse.user (the Redshift DbUser that IAM authentication signs in as) is required"
                    + " when warehouse.kind = redshift");
        }
        if (!(r.tempdir().startsWith("s3://") || r.tempdir().startsWith("s3a://")) || r.tempdir().length() < 7) {
            throw new UsageException("timeline.warehouse.redshift.tempdir must be an s3:// or s3a:// folder when warehouse.kind = redshift"
                    + " (got '" + r.tempdir() + "')");
        }
        if (!ROLE_ARN.matcher(r.iamRoleArn()).matches()) {
            throw new UsageException("timeline.warehouse.redshift.iam-role-arn must be an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)"
                    + " when warehouse.kind = redshift (got '" + r.iamRoleArn() + "')");
        }
        if (!r.sslMode().equals("verify-full") && !r.sslMode().equals("verify-ca")) {
            throw new UsageException("timeline.warehouse.redshift.ssl-mode must be verify-full or verify-ca (got '" + r.sslMode() + "')");
        }
        return r;
    }

    private static MetricsSettings metrics(Config c) {
        MetricsSink sink = enumValue(c, "metrics.sink", MetricsSink.class);
        String endpoint = c.getString("metrics.endpoint").trim();
        Optional<java.net.URI> uri = Optional.empty();
        if (!endpoint.isEmpty()) {
            try {
                uri = Optional.of(new java.net.URI(endpoint));
            } catch (java.net.URISyntaxException e) {
                throw new UsageException("timeline.metrics.endpoint is not a URI (got '" + endpoint + "')");
            }
            if (uri.get().getScheme() == null || !uri.get().getScheme().startsWith("http")) {
                throw new UsageException("timeline.metrics.endpoint must be an http:// or https:// URI (got '" + endpoint + "')");
            }
        }
        String region = c.getString("metrics.region").trim();
        double cost = c.getDouble("metrics.cluster-cost-per-hour");
        if (cost < 0) {
            throw new UsageException("timeline.metrics.cluster-cost-per-hour must not be negative (got " + cost + ")");
        }
        return new MetricsSettings(sink, nonEmpty(c, "metrics.namespace"), nonEmpty(c, "metrics.environment"),
                region.isEmpty() ? Optional.empty() : Optional.of(region), uri, cost);
    }

    private static double share(Config c, String key) {
        double v = c.getDouble(key);
        if (v < 0 || v > 1) {
            throw new UsageException("timeline." + key + " must be between 0 and 1 (got " + v + ")");
        }
        return v;
    }

    private static MonitorSettings monitor(Config c) {
        double rate = c.getDouble("monitor.max-error-rate");
        if (rate < 0 || rate > 1) {
            throw new UsageException("timeline.monitor.max-error-rate must be between 0 and 1 (got " + rate + ")");
        }
        long missing = c.getLong("monitor.max-missing-events");
        double cost = c.getDouble("monitor.max-daily-cost");
        if (missing < 0 || cost < 0) {
            throw new UsageException("timeline.monitor.max-missing-events and max-daily-cost must not be negative");
        }
        return new MonitorSettings(positiveDuration(c, "monitor.max-lag"), rate, missing, cost);
    }

    private static String nonEmpty(Config c, String key) {
        String v = c.getString(key).trim();
        if (v.isEmpty()) {
            throw new UsageException("timeline." + key + " must not be empty");
        }
        return v;
    }

    /** 0 (off), or more days than the base window: the purge's cutoff must stay before every window start. */
    private static int retentionDays(Config c, int windowDays) {
        int v;
        try {
            v = c.getInt("retention.days");
        } catch (ConfigException e) {
            throw new UsageException("timeline.retention.days must be a whole number: " + oneLine(e.getMessage()));
        }
        if (v < 0 || (v > 0 && v <= windowDays)) {
            throw new UsageException("timeline.retention.days must be 0 (keep everything) or more than base.window-days (" + windowDays
                    + "), got " + v);
        }
        return v;
    }

    private static int nonNegative(Config c, String key) {
        return atLeast(c, key, 0);
    }

    private static int positive(Config c, String key) {
        return atLeast(c, key, 1);
    }

    private static int atLeast(Config c, String key, int min) {
        int v;
        try {
            v = c.getInt(key);
        } catch (ConfigException e) {
            throw new UsageException("timeline." + key + " must be a whole number: " + oneLine(e.getMessage()));
        }
        if (v < min) {
            throw new UsageException("timeline." + key + (min == 0 ? " must be 0 or more" : " must be at least " + min) + " (got " + v + ")");
        }
        return v;
    }

    private static Duration positiveDuration(Config c, String key) {
        Duration d = nonNegativeDuration(c, key);
        if (d.isZero()) {
            throw new UsageException("timeline." + key + " must be longer than zero");
        }
        return d;
    }

    /** A size such as {@code 1 MiB}, from 1 KiB to 1 GiB (a line is held whole in a task's memory up to it). */
    private static int maxLineBytes(Config c, String key) {
        long v;
        try {
            v = c.getBytes(key);
        } catch (ConfigException e) {
            throw new UsageException("timeline." + key + " must be a size such as '1 MiB': " + oneLine(e.getMessage()));
        }
        if (v < 1024 || v > (1L << 30)) {
            throw new UsageException("timeline." + key + " must be from 1 KiB to 1 GiB (got " + v + " bytes)");
        }
        return (int) v;
    }

    private static Duration nonNegativeDuration(Config c, String key) {
        try {
            Duration d = c.getDuration(key);
            if (d.isNegative()) {
                throw new UsageException("timeline." + key + " must not be negative");
            }
            return d;
        } catch (ConfigException e) {
            throw new UsageException("timeline." + key + " must be a duration such as '24 hours': " + oneLine(e.getMessage()));
        }
    }

    private static <E extends Enum<E>> E enumValue(Config c, String key, Class<E> type) {
        String v = c.getString(key).trim();
        try {
            return Enum.valueOf(type, v.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            StringBuilder allowed = new StringBuilder();
            for (E value : type.getEnumConstants()) {
                allowed.append(allowed.length() == 0 ? "" : ", ").append(value.name().toLowerCase(Locale.ROOT));
            }
            throw new UsageException("timeline." + key + " must be one of " + allowed + " (got '" + v + "')");
        }
    }

    public static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("\\s*\\n\\s*", " ").trim();
    }

    /** A JDBC URL fit for a log line: query parameters removed, in case one carries a credential. */
    public static String redactUrl(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q) + "?…";
    }
}
