package com.shipmenttimeline.jobs;

import com.shipmenttimeline.schemas.WarehouseDdl;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.io.File;
import java.time.Duration;
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
        IncrementalSettings incremental, GeneratorSettings generator) {

    /** The streaming source and trigger of the incremental job. Empty processing time: Trigger.AvailableNow. */
    public record IncrementalSettings(int maxFilesPerTrigger, Duration maxFileAge, Optional<Duration> processingTime) {}

    public record Paths(String raw, String lake, String streamingCheckpoint) {}

    public record SparkSettings(String master, String appName, int shufflePartitions, boolean uiEnabled,
            Map<String, String> extra) {}

    public enum WarehouseKind { EMBEDDED, POSTGRES, REDSHIFT }

    /** The password itself is never held here: only the name of the variable that holds it. */
    public record WarehouseSettings(WarehouseKind kind, String jdbcUrl, String user, String passwordEnv, String schema,
            int batchSize, boolean refreshViewEveryRun, String embeddedDataDir, int embeddedPort,
            Duration leaseTtl, Duration leaseWait) {

        /** The password from the environment, if that variable is set and not empty. */
        public Optional<String> password() {
            String v = System.getenv(passwordEnv);
            return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
        }
    }

    public record GeneratorSettings(long events, int days, Optional<LocalDate> endDate, long seed, double defectRate,
            boolean whenEmpty, Duration holdBack, String incoming) {}

    private static final String ROOT = "timeline";

    /**
     * @param confFile a path, or the name of a bundled environment file ({@code local},
     *     {@code emr-dev}, {@code emr-prod}); null for the reference defaults alone
     * @param overrides {@code key=value} pairs from the command line; keys may omit {@code timeline.}
     */
    public static Settings load(String confFile, List<String> overrides) {
        Config reference = ConfigFactory.defaultReferenceUnresolved();
        Config file = confFile == null ? ConfigFactory.empty() : parseConfFile(confFile);
        Config cli = parseOverrides(overrides);
        Config user = cli.withFallback(file);
        rejectUnknownKeys(user, reference);
        Config resolved;
        try {
            resolved = ConfigFactory.defaultOverrides().withFallback(user).withFallback(reference).resolve();
            resolved.checkValid(ConfigFactory.defaultReference(), ROOT);
        } catch (ConfigException e) {
            throw new UsageException("bad configuration: " + oneLine(e.getMessage()));
        }
        return fromConfig(resolved.getConfig(ROOT));
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

    private static Config parseOverrides(List<String> overrides) {
        Map<String, Object> map = new LinkedHashMap<>();
        StringBuilder hocon = new StringBuilder();
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("override '" + o + "' is not key=value");
            }
            String key = o.substring(0, eq).trim();
            if (!key.startsWith(ROOT + ".")) {
                key = ROOT + "." + key;
            }
            hocon.append(key).append(" = ").append(o.substring(eq + 1)).append('\n');
            map.put(key, o.substring(eq + 1));
        }
        try {
            return ConfigFactory.parseString(hocon.toString());
        } catch (ConfigException e) {
            // Not valid HOCON as written (e.g. an unquoted URL with a colon): take the values as plain strings.
            Map<String, Object> plain = new LinkedHashMap<>();
            map.forEach(plain::put);
            return ConfigFactory.parseMap(plain);
        }
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

        Map<String, String> extra = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : c.getConfig("spark.extra").entrySet()) {
            String key = e.getKey().replace("\"", "");
            if (!key.startsWith("spark.")) {
                throw new UsageException("timeline.spark.extra." + key + ": only spark.* settings belong here");
            }
            extra.put(key, String.valueOf(e.getValue().unwrapped()));
        }
        SparkSettings spark = new SparkSettings(c.getString("spark.master").trim(), nonEmpty(c, "spark.app-name"),
                positive(c, "spark.shuffle-partitions"), c.getBoolean("spark.ui-enabled"), Map.copyOf(extra));

        WarehouseKind kind = enumValue(c, "warehouse.kind", WarehouseKind.class);
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
        String schema = c.getString("warehouse.schema");
        try {
            WarehouseDdl.checkIdentifier(schema, "timeline.warehouse.schema");
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        String refresh = c.getString("warehouse.refresh-view");
        if (!refresh.equals("every-run") && !refresh.equals("never")) {
            throw new UsageException("timeline.warehouse.refresh-view must be every-run or never (got '" + refresh + "')");
        }
        int port = c.getInt("warehouse.embedded.port");
        if (port < 1024 || port > 65535) {
            throw new UsageException("timeline.warehouse.embedded.port must be between 1024 and 65535 (got " + port + ")");
        }
        WarehouseSettings warehouse = new WarehouseSettings(kind, jdbcUrl, c.getString("warehouse.user").trim(),
                nonEmpty(c, "warehouse.password-env"), schema, positive(c, "warehouse.batch-size"),
                refresh.equals("every-run"), nonEmpty(c, "warehouse.embedded.data-dir"), port,
                positiveDuration(c, "warehouse.lease.ttl"), nonNegativeDuration(c, "warehouse.lease.wait"));

        int windowDays = positive(c, "base.window-days");
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
        IncrementalSettings incremental = new IncrementalSettings(positive(c, "incremental.max-files-per-trigger"),
                positiveDuration(c, "incremental.max-file-age"), processingTime);
        Duration tolerance = nonNegativeDuration(c, "validation.future-tolerance");

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
        GeneratorSettings generator = new GeneratorSettings(events, positive(c, "generator.days"), endDate,
                c.getLong("generator.seed"), defectRate, c.getBoolean("generator.when-empty"),
                nonNegativeDuration(c, "generator.hold-back"), nonEmpty(c, "generator.incoming"));
        return new Settings(paths, spark, warehouse, windowDays, tolerance, incremental, generator);
    }

    private static String nonEmpty(Config c, String key) {
        String v = c.getString(key).trim();
        if (v.isEmpty()) {
            throw new UsageException("timeline." + key + " must not be empty");
        }
        return v;
    }

    private static int positive(Config c, String key) {
        int v;
        try {
            v = c.getInt(key);
        } catch (ConfigException e) {
            throw new UsageException("timeline." + key + " must be a whole number: " + oneLine(e.getMessage()));
        }
        if (v < 1) {
            throw new UsageException("timeline." + key + " must be at least 1 (got " + v + ")");
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

    static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("\\s*\\n\\s*", " ").trim();
    }

    /** A JDBC URL fit for a log line: query parameters removed, in case one carries a credential. */
    public static String redactUrl(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q) + "?…";
    }
}
