package dev.weir.bench.load;

import dev.weir.bench.http.BodyPattern;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bundled HTTP/1.1 load generator: N keep-alive connections on one or more NIO threads, for a fixed
 * duration or a fixed request count, closed-loop or at a fixed rate.
 * <p>
 * In fixed-rate mode each connection has a schedule of intended start times; latency is measured from the
 * intended start, so a stalled server is charged for every request it delayed (coordinated-omission
 * correction, as wrk2 does). In closed-loop mode the intended start is the actual send.
 * <p>
 * <b>Note:</b> {@link #run} blocks until the run ends and is always bounded by
 * {@link LoadOptions#effectiveMaxRunMs()}; only loopback targets are accepted.
 */
public final class LoadGenerator {

    private LoadGenerator() {
    }

    /**
     * Runs one load test.
     *
     * @param options what to run; validated first.
     * @return counts, rate and latency of the measured window.
     * @throws IOException          when a selector cannot be opened.
     * @throws InterruptedException when interrupted while waiting for the threads.
     */
    public static LoadResult run(final LoadOptions options) throws IOException, InterruptedException {
        options.validate();
        final byte[] request = requestBytes(options);
        final long t0 = System.nanoTime();
        final boolean counted = options.requests() > 0;
        final long measureStartNs = counted ? t0 : t0 + TimeUnit.MILLISECONDS.toNanos(options.warmupMs());
        final long endNs = measureStartNs + TimeUnit.MILLISECONDS.toNanos(options.durationMs());
        final long hardDeadlineNs = t0 + TimeUnit.MILLISECONDS.toNanos(options.effectiveMaxRunMs());
        final AtomicLong budget = counted ? new AtomicLong(options.requests()) : null;
        final int total = options.connections();
        final long intervalNs = options.ratePerSecond() > 0 ? (long) (total * 1e9 / options.ratePerSecond()) : 0;

        final LoadThread[] workers = new LoadThread[options.threads()];
        int first = 0;
        for (int t = 0; t < workers.length; t++) {
            final int count = total / workers.length + (t < total % workers.length ? 1 : 0);
            final long[] firstIntended = new long[count];
            for (int i = 0; i < count; i++) {
                // Stagger the schedules so a fixed rate is spread evenly, not sent in bursts.
                firstIntended[i] = t0 + (intervalNs > 0 ? intervalNs * (first + i) / total : 0);
            }
            workers[t] = new LoadThread(options, request, count, budget, intervalNs, firstIntended, measureStartNs,
                endNs, hardDeadlineNs);
            first += count;
        }
        final Thread[] threads = new Thread[workers.length];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(workers[t], "weir-load-" + t);
            threads[t].setDaemon(true);
            threads[t].start();
        }
        boolean timedOut = false;
        long lastNs = measureStartNs;
        for (int t = 0; t < threads.length; t++) {
            final long leftMs = TimeUnit.NANOSECONDS.toMillis(hardDeadlineNs - System.nanoTime()) + 5_000;
            threads[t].join(Math.max(1, leftMs));
            timedOut |= threads[t].isAlive() || workers[t].timedOut;
            lastNs = Math.max(lastNs, workers[t].lastCompletionNs);
        }
        final long windowNs = counted || timedOut ? lastNs - measureStartNs : endNs - measureStartNs;
        return new LoadResult(workers, windowNs / 1e9, timedOut);
    }

    static byte[] requestBytes(final LoadOptions o) {
        final String head = o.method() + " " + o.path() + " HTTP/1.1\r\nHost: " + o.host() + ":" + o.port()
            + "\r\nUser-Agent: weir-load\r\n"
            + (o.requestBodyBytes() > 0 ? "Content-Length: " + o.requestBodyBytes() + "\r\n" : "") + "\r\n";
        final byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        final byte[] all = new byte[h.length + o.requestBodyBytes()];
        System.arraycopy(h, 0, all, 0, h.length);
        BodyPattern.copy(0, all, h.length, o.requestBodyBytes());
        return all;
    }

    /**
     * Runs from the command line and prints a summary; exits 1 when any request failed.
     *
     * @param args see {@code --help}.
     * @throws Exception on I/O failure.
     */
    public static void main(final String[] args) throws Exception {
        final LoadOptions o = new LoadOptions();
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            switch (a) {
                case "--url":
                    url(o, value(args, ++i));
                    break;
                case "-c":
                case "--connections":
                    o.connections(Integer.parseInt(value(args, ++i)));
                    break;
                case "-t":
                case "--threads":
                    o.threads(Integer.parseInt(value(args, ++i)));
                    break;
                case "-d":
                case "--duration":
                    o.durationMs(millis(value(args, ++i)));
                    break;
                case "-w":
                case "--warmup":
                    o.warmupMs(millis(value(args, ++i)));
                    break;
                case "-n":
                case "--requests":
                    o.requests(Long.parseLong(value(args, ++i)));
                    break;
                case "-R":
                case "--rate":
                    o.ratePerSecond(Double.parseDouble(value(args, ++i)));
                    break;
                case "--method":
                    o.method(value(args, ++i));
                    break;
                case "--body-bytes":
                    o.requestBodyBytes(Integer.parseInt(value(args, ++i)));
                    break;
                case "--expect-status":
                    o.expectStatus(Integer.parseInt(value(args, ++i)));
                    break;
                case "--expect-bytes":
                    o.expectBodyBytes(Long.parseLong(value(args, ++i)));
                    break;
                case "--verify":
                    o.verifyPattern(true);
                    break;
                case "--timeout":
                    o.requestTimeoutMs(millis(value(args, ++i)));
                    break;
                case "-h":
                case "--help":
                    usage(System.out, null);
                    break;
                default:
                    usage(System.err, "unknown option: " + a);
                    break;
            }
        }
        final LoadResult result = run(o);
        final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.println(result.summary());
        System.exit(result.errors() > 0 || result.timedOut() ? 1 : 0);
    }

    /**
     * Parses a duration such as {@code 10s}, {@code 500ms}, {@code 2m} or plain seconds.
     *
     * @param text the duration.
     * @return milliseconds.
     */
    public static long millis(final String text) {
        final String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("ms")) {
            return Long.parseLong(t.substring(0, t.length() - 2));
        }
        if (t.endsWith("s")) {
            return (long) (Double.parseDouble(t.substring(0, t.length() - 1)) * 1000);
        }
        if (t.endsWith("m")) {
            return (long) (Double.parseDouble(t.substring(0, t.length() - 1)) * 60_000);
        }
        return (long) (Double.parseDouble(t) * 1000);
    }

    private static void url(final LoadOptions o, final String url) {
        if (!url.startsWith("http://")) {
            usage(System.err, "only http:// URLs: " + url);
        }
        final int slash = url.indexOf('/', 7);
        final String authority = slash < 0 ? url.substring(7) : url.substring(7, slash);
        final int colon = authority.lastIndexOf(':');
        o.host(colon < 0 ? authority : authority.substring(0, colon));
        o.port(colon < 0 ? 80 : Integer.parseInt(authority.substring(colon + 1)));
        o.path(slash < 0 ? "/" : url.substring(slash));
    }

    private static String value(final String[] args, final int i) {
        if (i >= args.length) {
            usage(System.err, args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static void usage(final PrintStream out, final String error) {
        if (error != null) {
            out.println("error: " + error);
        }
        out.println("usage: LoadGenerator --url http://127.0.0.1:PORT/PATH [-c CONNECTIONS] [-t THREADS]\n"
            + "         [-d DURATION | -n REQUESTS] [-w WARMUP] [-R RATE] [--method M] [--body-bytes N]\n"
            + "         [--expect-status 200] [--expect-bytes N] [--verify] [--timeout 10s]\n"
            + "  durations: 10s, 500ms, 2m; -R sets a fixed total rate (req/s) with coordinated-omission correction");
        System.exit(error == null ? 0 : 2);
    }
}
