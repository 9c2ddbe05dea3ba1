package com.shipmenttimeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documents hold together: every document path that the code, the configuration, the scripts
 * and the documents cite exists, a heading cited with it ({@code docs/x.md, "Heading"}) is a real
 * heading of that file, every relative Markdown link resolves (its {@code #anchor} too), and the
 * configuration reference lists every key of {@code conf/reference.conf}. The README stays a
 * guide: at most about 300 lines, no commit hashes.
 */
class DocumentsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Set<String> SKIP_DIRS = Set.of(".git", "target", "data", "bench-results", "node_modules", ".idea");
    private static final Pattern TEXT_FILE = Pattern.compile(".*\\.(java|md|conf|properties|ya?ml|json|sh|txt|xml)$|.*/(run|reliability|timeline)$");

    /** A document path, optionally followed by a quoted heading: {@code docs/a.md, "H"}, {@code emr/README.md ("H")}, {@code README "H"}. */
    private static final Pattern CITATION = Pattern.compile(
            "(?<![\\w/.\"-])(docs/[\\w./-]*[\\w]|emr/README\\.md|README(?:\\.md)?|conf/[\\w.-]+\\.conf|LICENSE|NOTICE)(?![\\w/-])"
                    + "(?:,?\\s*\\(?\\s*\"([^\"\\n]{2,80})\")?");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6} +(.+?) *$", Pattern.MULTILINE);

    @Test
    void everyCitedDocumentAndHeadingExists() throws IOException {
        List<String> broken = new ArrayList<>();
        int citations = 0;
        for (Path file : textFiles()) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Matcher m = CITATION.matcher(text);
            while (m.find()) {
                String cited = m.group(1);
                if (cited.equals("README") && m.group(2) == null) {
                    continue; // "the connector's README": a word, not a path
                }
                Path target = ROOT.resolve(cited.equals("README") ? "README.md" : cited);
                citations++;
                String where = ROOT.relativize(file) + ": " + m.group();
                if (!Files.exists(target)) {
                    broken.add(where + " -> no such file");
                } else if (m.group(2) != null && Files.isRegularFile(target) && target.toString().endsWith(".md")
                        && !headings(target).contains(m.group(2))) {
                    broken.add(where + " -> no heading \"" + m.group(2) + "\" in " + ROOT.relativize(target));
                }
            }
        }
        assertTrue(broken.isEmpty(), String.join("\n", broken));
        assertTrue(citations > 50, "the scan found the citations (" + citations + ")");
    }

    @Test
    void everyRelativeMarkdownLinkResolves() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path file : textFiles()) {
            if (!file.toString().endsWith(".md")) {
                continue;
            }
            Matcher m = LINK.matcher(Files.readString(file, StandardCharsets.UTF_8));
            while (m.find()) {
                String link = m.group(1);
                if (link.matches("^[a-z]+:.*")) {
                    continue;
                }
                String path = link.replaceFirst("#.*", "");
                String anchor = link.contains("#") ? link.substring(link.indexOf('#') + 1) : null;
                Path target = path.isEmpty() ? file : file.getParent().resolve(path).normalize();
                if (!Files.exists(target)) {
                    broken.add(ROOT.relativize(file) + ": " + link + " -> no such file");
                } else if (anchor != null && !headings(target).stream().map(DocumentsTest::slug).toList().contains(anchor)) {
                    broken.add(ROOT.relativize(file) + ": " + link + " -> no such heading");
                }
            }
        }
        assertTrue(broken.isEmpty(), String.join("\n", broken));
    }

    @Test
    void theConfigurationReferenceListsEveryKeyAndVariable() throws IOException {
        Config reference = ConfigFactory.parseFile(ROOT.resolve("conf/reference.conf").toFile(), ConfigParseOptions.defaults())
                .resolve().getConfig("timeline");
        String doc = Files.readString(ROOT.resolve("docs/reference/configuration.md"));
        Set<String> missing = new TreeSet<>();
        reference.entrySet().forEach(e -> {
            if (!doc.contains("| `" + e.getKey() + "` |")) {
                missing.add(e.getKey());
            }
        });
        if (!doc.contains("| `spark.extra` |")) {
            missing.add("spark.extra"); // an empty map has no entries of its own
        }
        Matcher vars = Pattern.compile("=\\s*\\$\\{\\?(\\w+)}").matcher(Files.readString(ROOT.resolve("conf/reference.conf")));
        while (vars.find()) {
            if (!doc.contains("`" + vars.group(1) + "`")) {
                missing.add(vars.group(1));
            }
        }
        assertEquals(Set.of(), missing, "keys or variables of conf/reference.conf missing from docs/reference/configuration.md");
    }

    @Test
    void theReadmeIsAGuideNotALabNotebook() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("README.md"));
        assertTrue(lines.size() <= 320, "README.md has " + lines.size() + " lines; details belong in docs/");
        List<String> hashes = lines.stream().filter(l -> l.matches(".*`[0-9a-f]{7,40}`.*")).toList();
        assertEquals(List.of(), hashes, "commit hashes belong in the benchmark report and the decision records");
        assertTrue(Files.readString(ROOT.resolve("LICENSE")).contains("Apache License") && Files.readString(ROOT.resolve("pom.xml")).contains(
                "<name>Apache-2.0</name>"), "LICENSE and the pom's <licenses> name the same license");
    }

    /** The headings of a Markdown file, as written. */
    private static List<String> headings(Path md) throws IOException {
        List<String> out = new ArrayList<>();
        Matcher m = HEADING.matcher(Files.readString(md, StandardCharsets.UTF_8).replaceAll("(?s)```.*?```", ""));
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
    static String slug(String heading) {
        return heading.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }

    private static List<Path> textFiles() throws IOException {
        try (Stream<Path> all = Files.walk(ROOT)) {
            return all.filter(p -> ROOT.relativize(p).toString().split("/").length > 0
                            && Stream.of(ROOT.relativize(p).toString().split("/")).noneMatch(SKIP_DIRS::contains))
                    .filter(p -> !ROOT.relativize(p).startsWith("src/test/resources/sample"))
                    .filter(p -> !p.getFileName().toString().equals("DocumentsTest.java")) // its own examples
                    .filter(Files::isRegularFile)
                    .filter(p -> TEXT_FILE.matcher(p.toString()).matches() || p.endsWith(".ci/run"))
                    .sorted().toList();
        }
    }
}
