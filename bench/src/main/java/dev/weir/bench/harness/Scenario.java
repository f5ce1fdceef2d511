package dev.weir.bench.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One kind of request the harness measures every target with: a method, a demo-origin path, the request body
 * sent, the response body expected, and the number of keep-alive connections.
 * <p>
 * Names, as given to {@code --scenarios}: {@code getN} ({@code GET /bytes/N}, N in bytes with an optional
 * {@code k} or {@code m} suffix, e.g. {@code get128}, {@code get16k}, {@code get1m}), {@code postN}
 * ({@code POST /crc32} with an N-byte body; the origin consumes it and answers its CRC in one short line) and
 * {@code one} ({@code GET /bytes/128} over a single connection: the latency of one exchange, with no batching).
 * <p>
 * <b>Note:</b> immutable.
 */
final class Scenario {

    /** What a comparison measures unless {@code --scenarios} or {@code --sizes} says otherwise. */
    static final String DEFAULT_NAMES = "get128,get16k,get1m,post16k,one";
    /** The single-connection scenario's name. */
    static final String ONE = "one";
    /** Bytes of the single-connection scenario's response body. */
    static final int ONE_BODY_BYTES = 128;
    /** The origin's answer to {@code POST /crc32}: {@code length=N crc32=HEX8\n}; its length depends on N. */
    private static final String CRC32_PATH = "/crc32";

    final String name;
    final String method;
    final String path;
    /** Bytes of the request body, 0 for none. */
    final int requestBodyBytes;
    /** Bytes of the response body every answer must carry, or -1 when not checked. */
    final long responseBodyBytes;
    /** Keep-alive connections, or 0 for the harness's {@code --connections}. */
    final int connections;

    private Scenario(final String name, final String method, final String path, final int requestBodyBytes,
        final long responseBodyBytes, final int connections) {
        this.name = name;
        this.method = method;
        this.path = path;
        this.requestBodyBytes = requestBodyBytes;
        this.responseBodyBytes = responseBodyBytes;
        this.connections = connections;
    }

    /**
     * @param bytes response body size.
     * @return {@code GET /bytes/N}, named as {@code --scenarios} would name it (e.g. {@code get16k}).
     */
    static Scenario get(final int bytes) {
        return new Scenario("get" + sizeName(bytes), "GET", "/bytes/" + bytes, 0, bytes, 0);
    }

    /**
     * @param name a scenario name (see the class comment).
     * @return the scenario.
     * @throws IllegalArgumentException naming the bad name.
     */
    static Scenario parse(final String name) {
        final String n = name.trim().toLowerCase(Locale.ROOT);
        if (ONE.equals(n)) {
            return new Scenario(ONE, "GET", "/bytes/" + ONE_BODY_BYTES, 0, ONE_BODY_BYTES, 1);
        }
        if (n.startsWith("get")) {
            return get(bytes(n.substring(3), name));
        }
        if (n.startsWith("post")) {
            final int body = bytes(n.substring(4), name);
            final long answer = ("length=" + body + " crc32=01234567\n").length();
            return new Scenario("post" + sizeName(body), "POST", CRC32_PATH, body, answer, 0);
        }
        throw new IllegalArgumentException("unknown scenario: " + name + NAMES_HELP);
    }

    /** @return the scenarios of a comma-separated list, in its order. */
    static List<Scenario> parseList(final String names) {
        final List<Scenario> list = new ArrayList<>();
        for (final String n : names.split(",")) {
            final Scenario s = parse(n);
            for (final Scenario known : list) {
                if (known.name.equals(s.name)) {
                    throw new IllegalArgumentException("scenario listed twice: " + s.name);
                }
            }
            list.add(s);
        }
        return list;
    }

    /** @return the connections this scenario runs with, given the harness's default. */
    int connections(final int harnessDefault) {
        return connections > 0 ? connections : harnessDefault;
    }

    /** @return a short description for logs and plots, e.g. {@code POST 16 KiB} or {@code GET 128 B, 1 conn}. */
    String label() {
        final String size = Row.sizeLabel(requestBodyBytes > 0 ? requestBodyBytes : (int) responseBodyBytes);
        return method + " " + size + (connections == 1 ? ", 1 conn" : "");
    }

    private static final String NAMES_HELP = " (getN, postN or one; N like 128, 16k, 1m)";

    private static int bytes(final String size, final String name) {
        if (size.isEmpty()) {
            throw new IllegalArgumentException("scenario " + name + " needs a size, e.g. get16k");
        }
        final char unit = size.charAt(size.length() - 1);
        final int scale = unit == 'k' ? 1024 : unit == 'm' ? 1024 * 1024 : 1;
        final String digits = scale == 1 ? size : size.substring(0, size.length() - 1);
        try {
            final long v = Long.parseLong(digits) * scale;
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("scenario " + name + ": size out of range");
            }
            return (int) v;
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("unknown scenario: " + name + NAMES_HELP);
        }
    }

    private static String sizeName(final int bytes) {
        if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) {
            return bytes / (1024 * 1024) + "m";
        }
        if (bytes >= 1024 && bytes % 1024 == 0) {
            return bytes / 1024 + "k";
        }
        return Integer.toString(bytes);
    }

    @Override
    public String toString() {
        return name;
    }
}
