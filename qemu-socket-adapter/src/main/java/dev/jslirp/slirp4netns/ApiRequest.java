package dev.jslirp.slirp4netns;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One request of the slirp4netns API socket, read from the bytes a client sent, e.g.
 * {@code {"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_port": 8080,
 * "guest_port": 80}}}.
 *
 * <p>Read as slirp4netns reads it with parson: the first JSON value of the text, what
 * follows it ignored (rootlesskit's encoder ends the request with a newline); an object
 * with a duplicate key is not JSON to parson, nor here. Only what the commands use is
 * kept: {@code execute} if it is a string, and the scalar members of {@code arguments}
 * (strings as strings, numbers as {@link Number}); nested values are skipped. Jackson's
 * streaming parser does the reading, with its bounds on nesting depth and number length.
 *
 * @param execute   the command, or null if {@code execute} is missing or not a string
 * @param arguments the scalar members of {@code arguments}; empty if there is none
 */
record ApiRequest(String execute, Map<String, Object> arguments) {
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** How the bytes read. */
    enum Outcome {
        /** A whole request, in {@link Parsed#request()}. */
        REQUEST,
        /** The JSON value has not ended yet: wait for more bytes. */
        INCOMPLETE,
        /** Not JSON: slirp4netns's {@code cannot parse JSON}. */
        NOT_JSON,
        /** JSON, but not an object: slirp4netns's {@code json_object() failed}. */
        NOT_OBJECT
    }

    /** The outcome and, for {@link Outcome#REQUEST}, the request. */
    record Parsed(Outcome outcome, ApiRequest request) {
    }

    /**
     * Reads {@code length} bytes of {@code data} from {@code offset}. With
     * {@code ended} (the client will send nothing more), a value that has not ended is
     * {@link Outcome#NOT_JSON}, as is no value at all.
     */
    static Parsed parse(byte[] data, int offset, int length, boolean ended) {
        try (JsonParser p = JSON.createParser(data, offset, length)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return new Parsed(ended ? Outcome.NOT_JSON : Outcome.INCOMPLETE, null);
            }
            if (first != JsonToken.START_OBJECT) {
                if (!ended && first.isNumeric() && p.currentLocation().getByteOffset() >= length) {
                    return new Parsed(Outcome.INCOMPLETE, null); // the number may go on in the next bytes
                }
                return new Parsed(Outcome.NOT_OBJECT, null); // an array or scalar can never become a request
            }
            String execute = null;
            Map<String, Object> arguments = new LinkedHashMap<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("execute") && value == JsonToken.VALUE_STRING) {
                    execute = p.getText();
                } else if (name.equals("arguments") && value == JsonToken.START_OBJECT) {
                    readArguments(p, arguments);
                } else {
                    p.skipChildren();
                }
            }
            return new Parsed(Outcome.REQUEST, new ApiRequest(execute, arguments));
        } catch (JsonEOFException e) {
            return new Parsed(ended ? Outcome.NOT_JSON : Outcome.INCOMPLETE, null);
        } catch (StreamConstraintsException e) {
            return new Parsed(Outcome.NOT_JSON, null);
        } catch (IOException e) {
            return new Parsed(Outcome.NOT_JSON, null);
        }
    }

    private static void readArguments(JsonParser p, Map<String, Object> into) throws IOException {
        Map<String, Object> fresh = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (value == JsonToken.VALUE_STRING) {
                fresh.put(name, p.getText());
            } else if (value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT) {
                try {
                    fresh.put(name, p.getDecimalValue());
                } catch (NumberFormatException e) {
                    // e.g. 1e9999999099 (found by fuzzing): a number, but none any argument can be
                    fresh.put(name, Double.POSITIVE_INFINITY);
                }
            } else {
                p.skipChildren();
            }
        }
        into.clear(); // a second "arguments" is a duplicate key, refused before this; be plain anyway
        into.putAll(fresh);
    }

    /** The string member {@code name} of {@code arguments}, or null. */
    String string(String name) {
        return arguments.get(name) instanceof String s ? s : null;
    }

    /**
     * The number member {@code name} of {@code arguments} as an int if it is a whole
     * number within {@code min..max}, else {@code -1} (missing, not a number, fractional
     * or out of range: parson would have read 0 or cut it, and slirp4netns refuses 0).
     */
    int wholeNumber(String name, int min, int max) {
        if (!(arguments.get(name) instanceof java.math.BigDecimal d)) {
            return -1;
        }
        try {
            int v = d.intValueExact();
            return v >= min && v <= max ? v : -1;
        } catch (ArithmeticException e) {
            return -1;
        }
    }
}
