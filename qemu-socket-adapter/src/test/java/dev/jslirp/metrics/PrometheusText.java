package dev.jslirp.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of Prometheus's text exposition format (version 0.0.4: "Exposition
 * formats" in the Prometheus documentation) for tests: every line must be a {@code # HELP},
 * a {@code # TYPE} or a sample of a family whose TYPE came first; anything else fails.
 */
public final class PrometheusText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(?:\\{(.*)})? (\\S+)(?: (-?\\d+))?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(,|$)");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") .*");

    /** One sample: its metric name, labels and value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final Map<String, String> types = new LinkedHashMap<>();
    private final List<Sample> samples = new ArrayList<>();

    private PrometheusText() {
    }

    /**
     * Scrapes {@code url} over HTTP: status 200, Prometheus's text format 0.0.4, parsed.
     *
     * @throws AssertionError if the answer is anything else
     */
    public static PrometheusText scrape(URI url) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError("GET " + url + ": status " + r.statusCode() + ": " + r.body());
        }
        String type = r.headers().firstValue("Content-Type").orElse("");
        if (!type.startsWith("text/plain; version=0.0.4")) {
            throw new AssertionError("GET " + url + ": Content-Type " + type);
        }
        return parse(r.body());
    }

    /**
     * Parses {@code text}.
     *
     * @throws AssertionError naming the first line that is not in the format
     */
    public static PrometheusText parse(String text) {
        PrometheusText p = new PrometheusText();
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            Matcher m;
            if ((m = TYPE.matcher(line)).matches()) {
                if (p.types.put(m.group(1), m.group(2)) != null) {
                    throw new AssertionError("line " + n + ": TYPE of " + m.group(1) + " twice");
                }
            } else if (HELP.matcher(line).matches()) {
                continue;
            } else if ((m = SAMPLE.matcher(line)).matches()) {
                String name = m.group(1);
                if (p.familyOf(name) == null) {
                    throw new AssertionError("line " + n + ": sample of " + name + " before its TYPE: " + line);
                }
                p.samples.add(new Sample(name, labels(m.group(2), n), value(m.group(3), n)));
            } else {
                throw new AssertionError("line " + n + " is not in Prometheus's text format: " + line);
            }
        }
        return p;
    }

    private static Map<String, String> labels(String text, int n) {
        Map<String, String> labels = new HashMap<>();
        if (text == null || text.isEmpty()) {
            return labels;
        }
        Matcher m = LABEL.matcher(text);
        int at = 0;
        while (at < text.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new AssertionError("line " + n + ": bad labels: " + text);
            }
            labels.put(m.group(1), m.group(2).replace("\\\"", "\"").replace("\\n", "\n").replace("\\\\", "\\"));
            at = m.end();
        }
        return labels;
    }

    private static double value(String text, int n) {
        switch (text) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                try {
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new AssertionError("line " + n + ": not a value: " + text);
                }
        }
    }

    /** The family a sample name belongs to (histograms' _bucket, _sum, _count; counters' _total), or null. */
    private String familyOf(String name) {
        if (types.containsKey(name)) {
            return name;
        }
        for (String suffix : List.of("_total", "_bucket", "_sum", "_count", "_created")) {
            if (name.endsWith(suffix) && types.containsKey(name.substring(0, name.length() - suffix.length()))) {
                return name.substring(0, name.length() - suffix.length());
            }
        }
        return null;
    }

    /** The families and their types. */
    public Map<String, String> types() {
        return types;
    }

    /** Every sample. */
    public List<Sample> samples() {
        return samples;
    }

    /**
     * The value of the one sample named {@code name} with labels {@code labels} (pairs of
     * name and value).
     *
     * @throws AssertionError if there is none
     */
    public double value(String name, String... labels) {
        Map<String, String> want = new HashMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            want.put(labels[i], labels[i + 1]);
        }
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().equals(want)) {
                return s.value();
            }
        }
        throw new AssertionError("no sample " + name + want);
    }
}
