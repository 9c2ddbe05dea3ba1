package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.cli.CommandLine;
import com.shipmenttimeline.jobs.run.RunRequest;
import com.shipmenttimeline.jobs.config.Settings;

import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an EMR step's {@code spark-submit} arguments the way the cluster will run them: the
 * placeholders filled in, spark-submit's own options apart, then the application's arguments through
 * the launcher's real parser, and the configuration loaded with the environment the step gives the
 * driver ({@code spark.yarn.appMasterEnv.*}).
 */
public final class EmrSteps {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]+)}");

    private EmrSteps() {}

    public record Parsed(Map<String, String> sparkSubmit, Map<String, String> sparkConf, String applicationJar, RunRequest request,
            Settings settings) {}

    public static Parsed parse(List<String> stepArgs, Map<String, String> values, Map<String, String> moreValues) {
        return parse(stepArgs, values, moreValues, Map.of());
    }

    /**
     * As {@link #parse(List, Map, Map)}, on a cluster whose {@code spark-defaults} are these
     * (placeholders filled already): a step's own {@code --conf} wins over them, as spark-submit does.
     * A step with a local master runs its driver on the primary node, outside YARN, so the
     * {@code spark.yarn.appMasterEnv.*} environment does not reach it.
     */
    public static Parsed parse(List<String> stepArgs, Map<String, String> values, Map<String, String> moreValues,
            Map<String, String> sparkDefaults) {
        Map<String, String> all = new LinkedHashMap<>(values);
        all.putAll(moreValues);
        List<String> args = stepArgs.stream().map(a -> fill(a, all)).toList();
        if (!args.get(0).equals("spark-submit")) {
            throw new IllegalArgumentException("a step runs spark-submit, not " + args.get(0));
        }
        Map<String, String> submit = new LinkedHashMap<>();
        Map<String, String> conf = new LinkedHashMap<>(sparkDefaults);
        int i = 1;
        while (args.get(i).startsWith("--")) {
            String option = args.get(i);
            String value = args.get(i + 1);
            if (option.equals("--conf")) {
                int eq = value.indexOf('=');
                conf.put(value.substring(0, eq), value.substring(eq + 1));
            } else {
                submit.put(option, value);
            }
            i += 2;
        }
        String jar = args.get(i);
        String[] appArgs = args.subList(i + 1, args.size()).toArray(String[]::new);
        CommandLine line = CommandLine.parse(appArgs);
        RunRequest request = line.request();
        Map<String, String> env = new LinkedHashMap<>();
        boolean onYarn = !submit.getOrDefault("--master", "yarn").startsWith("local");
        conf.forEach((k, v) -> {
            if (onYarn && k.startsWith("spark.yarn.appMasterEnv.")) {
                env.put(k.substring("spark.yarn.appMasterEnv.".length()), v);
            }
        });
        Settings settings = Settings.load(line.confFile(), line.overrides(), ConfigFactory.parseMap(env));
        return new Parsed(submit, conf, jar, request, settings);
    }

    private static String fill(String arg, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(arg);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = values.get(m.group(1));
            if (v == null) {
                throw new IllegalArgumentException("no value for placeholder ${" + m.group(1) + "} in " + arg);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }
}
