package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.bench.support.WeirProcess;
import dev.weir.config.ConfigLoader;
import dev.weir.log.AccessLog;
import dev.weir.stage.Pipeline;

/**
 * The access log end to end: one line per request with the fields the client saw, records dropped and counted
 * (never waited for) when nobody reads the log, and a new file after a rename and SIGHUP.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AccessLogIT {

    private static final Pattern COMBINED = Pattern.compile("^127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:"
        + "\\d\\d:\\d\\d:\\d\\d \\+0000\\] \"(\\S+) (\\S+) HTTP/1\\.1\" (\\d{3}) (\\d+) \"(.*)\" \"(.*)\"$");
    private static final int ROUNDS = 4;

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    @TempDir
    Path dir;

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(5);
        }
    }

    private static String expected(final String method, final String target, final int status, final long bytes,
        final String referer, final String agent) {
        return method + " " + target + " " + status + " " + bytes + " " + referer + " " + agent;
    }

    @Test
    void shouldWriteOneLinePerRequestWithWhatTheClientGot() throws Exception {
        final Path file = dir.resolve("access.log");
        final Pipeline p = weir.start(c -> c.accessLogPath(file.toString()).accessLogFormat("combined"));
        final int port = p.listenAddress().getPort();
        final List<String> expected = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            try (RawHttp http = new RawHttp(port)) {
                http.send("GET /bytes/100?r=" + round + " HTTP/1.1\r\nHost: weir\r\nReferer: http://from/"
                    + round + "\r\nUser-Agent: it \"quoted\"\r\n\r\n");
                RawHttp.Response r = http.read(false);
                assertEquals(200, r.status, r.head);
                expected.add(expected("GET", "/bytes/100?r=" + round, 200, r.head.length() + r.body.length,
                    "http://from/" + round, "it \\\"quoted\\\""));
                http.send("GET /missing HTTP/1.1\r\nHost: weir\r\n\r\n");
                r = http.read(false);
                assertEquals(404, r.status, r.head);
                expected.add(expected("GET", "/missing", 404, r.head.length() + r.body.length, "-", "-"));
                http.send("POST /echo HTTP/1.1\r\nHost: weir\r\nContent-Length: 5\r\n\r\nhello");
                r = http.read(false);
                assertEquals(200, r.status, r.head);
                assertEquals("hello", r.text());
                expected.add(expected("POST", "/echo", 200, r.head.length() + r.body.length, "-", "-"));
            }
            try (RawHttp http = new RawHttp(port)) {
                http.send("GET /garbage HTTP/1.1\r\nHost: weir\r\n\r\n");
                final RawHttp.Response r = http.read(false);
                assertEquals(502, r.status, r.head);
                expected.add(expected("GET", "/garbage", 502, r.head.length() + r.body.length, "-", "-"));
            }
            try (RawHttp http = new RawHttp(port)) {
                http.send("GET /twice HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
                final byte[] answer = http.readUntilClose();
                assertTrue(new String(answer, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 400 "));
                expected.add(expected("GET", "/twice", 400, answer.length, "-", "-"));
            }
        }
        final AccessLog log = p.accessLog();
        await(() -> log.written() == expected.size(), "written " + log.written() + " of " + expected.size());
        assertEquals(expected.size(), log.records());
        assertEquals(0, log.dropped());
        final List<String> lines = Files.readAllLines(file);
        assertEquals(expected.size(), lines.size(), String.join("\n", lines));
        final List<String> seen = new ArrayList<>();
        for (final String line : lines) {
            final Matcher m = COMBINED.matcher(line);
            assertTrue(m.matches(), line);
            seen.add(expected(m.group(1), m.group(2), Integer.parseInt(m.group(3)), Long.parseLong(m.group(4)),
                m.group(5), m.group(6)));
        }
        Collections.sort(expected);
        Collections.sort(seen);
        assertEquals(expected, seen);
    }

    @Test
    void shouldNameTheUpstreamServerAndTheDurationsInJson() throws Exception {
        final Path file = dir.resolve("access.json");
        final Pipeline p = weir.start(c -> c.accessLogPath(file.toString()).accessLogFormat("json"));
        try (RawHttp http = new RawHttp(p.listenAddress().getPort())) {
            http.send("GET /bytes/10 HTTP/1.1\r\nHost: weir\r\n\r\n");
            assertEquals(200, http.read(false).status);
        }
        try (RawHttp http = new RawHttp(p.listenAddress().getPort())) {
            http.send("GET /x HTTP/1.1\r\n\r\n");
            http.readUntilClose();
        }
        await(() -> p.accessLog().written() == 2, "two lines");
        final List<String> lines = Files.readAllLines(file);
        final String ok = lines.stream().filter(l -> l.contains("\"status\":200")).findFirst().orElseThrow();
        final String refused = lines.stream().filter(l -> l.contains("\"status\":400")).findFirst().orElseThrow();
        assertTrue(ok.contains("\"upstream\":\"127.0.0.1:" + weir.origin().port() + "\""), ok);
        final Matcher durations = Pattern.compile("\"duration_ms\":([0-9.]+),\"head_ms\":([0-9.]+),").matcher(ok);
        assertTrue(durations.find(), ok);
        assertTrue(Double.parseDouble(durations.group(1)) >= Double.parseDouble(durations.group(2)), ok);
        assertTrue(refused.contains("\"head_ms\":null,\"upstream\":null,"), refused);
        assertTrue(refused.contains("\"method\":\"GET\",\"target\":\"/x\",\"protocol\":\"HTTP/1.1\""), refused);
    }

    @Test
    void shouldNameTheServerOfAGroupThatServedEachRequest() throws Exception {
        final ScriptedOrigin a = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.raw(
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", true)));
        final ScriptedOrigin b = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.raw(
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb", true)));
        final Path file = dir.resolve("access.json");
        final Pipeline p = weir.start(c -> ConfigLoader.readYaml("upstreams:\n  app: {servers: [127.0.0.1:" + a.port()
            + ", 127.0.0.1:" + b.port() + "]}\n", "AccessLogIT", c.accessLogPath(file.toString())
            .accessLogFormat("json")));
        final List<String> servedBy = new ArrayList<>();
        try (RawHttp http = new RawHttp(p.listenAddress().getPort())) {
            for (int i = 0; i < 4; i++) {
                http.send("GET /n" + i + " HTTP/1.1\r\nHost: weir\r\n\r\n");
                final RawHttp.Response r = http.read(false);
                assertEquals(200, r.status, r.head);
                servedBy.add("\"target\":\"/n" + i + "\"" + " 127.0.0.1:" + ("a".equals(r.text()) ? a : b).port());
            }
        }
        await(() -> p.accessLog().written() == 4, "four lines");
        final List<String> seen = new ArrayList<>();
        for (final String line : Files.readAllLines(file)) {
            final Matcher target = Pattern.compile("\"target\":\"[^\"]*\"").matcher(line);
            final Matcher upstream = Pattern.compile("\"upstream\":\"([^\"]*)\"").matcher(line);
            assertTrue(target.find() && upstream.find(), line);
            seen.add(target.group() + " " + upstream.group(1));
        }
        Collections.sort(servedBy);
        Collections.sort(seen);
        assertEquals(servedBy, seen);
        assertTrue(seen.stream().anyMatch(l -> l.endsWith(":" + a.port())) && seen.stream()
            .anyMatch(l -> l.endsWith(":" + b.port())), "both servers served: " + seen);
    }

    @Test
    void shouldDropAndCountRecordsWhenNobodyReadsTheLogAndNeverMakeRequestsWait() throws Exception {
        final Path fifo = dir.resolve("access.fifo");
        final Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo");
        // Opened for reading and writing, so Weir's open for writing does not wait for a reader; nobody reads it.
        try (RandomAccessFile holder = new RandomAccessFile(fifo.toFile(), "rw")) {
            final Pipeline p = weir.start(c -> c.accessLogPath(fifo.toString()).accessLogRecords(16));
            final AccessLog log = p.accessLog();
            assertTrue(holder.getFD().valid(), "the pipe stays open, unread, for the whole test");
            final int requests = 5_000;
            long slowestNs = 0;
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), p.listenAddress().getPort())) {
                socket.setSoTimeout(5_000);
                final InputStream in = socket.getInputStream();
                final byte[] request = "GET /bytes/10 HTTP/1.1\r\nHost: weir\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII);
                final int length = responseLength(socket, request);
                for (int i = 1; i < requests; i++) {
                    final long start = System.nanoTime();
                    socket.getOutputStream().write(request);
                    assertEquals(length, in.readNBytes(length).length);
                    slowestNs = Math.max(slowestNs, System.nanoTime() - start);
                }
            }
            await(() -> log.records() == requests, "records " + log.records());
            System.out.printf("weir-it access log to a full pipe: %d records, %d written, %d dropped, slowest request"
                + " %.1f ms%n", log.records(), log.written(), log.dropped(), slowestNs / 1e6);
            assertTrue(log.dropped() > 0, "records dropped once the pipe and the ring were full");
            assertTrue(log.written() + log.dropped() <= requests);
            // A pipe holds 64 KiB: about 1,000 lines of ~60 bytes, and the ring a few more.
            assertTrue(log.written() < requests / 2, "written " + log.written());
            assertTrue(slowestNs < TimeUnit.SECONDS.toNanos(2), "slowest request " + slowestNs / 1e6 + " ms");
            // The log thread is blocked writing to the pipe; closing interrupts it rather than wait.
            WeirExtension.awaitIdle(p);
            final long closing = System.nanoTime();
            p.close();
            assertTrue(System.nanoTime() - closing < TimeUnit.SECONDS.toNanos(5), "close took too long");
        }
    }

    private static int responseLength(final Socket socket, final byte[] request) throws IOException {
        socket.getOutputStream().write(request);
        final InputStream in = socket.getInputStream();
        final StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            final int c = in.read();
            assertTrue(c >= 0, "closed in the head");
            head.append((char) c);
        }
        final Matcher m = Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
        assertTrue(m.find(), head.toString());
        final int body = Integer.parseInt(m.group(1));
        assertEquals(body, in.readNBytes(body).length);
        return head.length() + body;
    }

    @Test
    void shouldWriteToANewFileAfterARenameAndSighup() throws Exception {
        final Path file = dir.resolve("access.log");
        final Path rotated = dir.resolve("access.log.1");
        try (WeirProcess process = WeirProcess.start(Duration.ofSeconds(60), "--listen", "127.0.0.1:0", "--upstream",
            "127.0.0.1:" + weir.origin().port(), "--set", "access-log.path=" + file)) {
            get(process.port(), "/bytes/1?before", 3);
            await(() -> lines(file) == 3, "three lines in " + file);
            Files.move(file, rotated);
            // The README's postrotate line, run as logrotate runs it: in a shell whose command line holds it.
            final Process kill = new ProcessBuilder("sh", "-c", readmePostrotate(), "logrotate_script", file.toString())
                .inheritIO().start();
            assertEquals(0, kill.waitFor());
            await(() -> Files.exists(file), "the log reopened as a new file after SIGHUP");
            assertTrue(process.isAlive(), "SIGHUP did not stop Weir:\n" + process.output());
            get(process.port(), "/bytes/1?after", 2);
            await(() -> lines(file) == 2, "two lines in the new file");
            final List<String> old = Files.readAllLines(rotated);
            assertEquals(3, old.size(), old.toString());
            assertTrue(old.stream().allMatch(l -> l.contains("GET /bytes/1?before ")), old.toString());
            assertTrue(Files.readAllLines(file).stream().allMatch(l -> l.contains("GET /bytes/1?after ")));
        }
    }

    /** @return the one command between {@code postrotate} and {@code endscript} in README.md's logrotate recipe. */
    private static String readmePostrotate() throws IOException {
        final Matcher m = Pattern.compile("postrotate\\n\\s*(.+)\\n\\s*endscript")
            .matcher(Files.readString(Path.of("..", "README.md")));
        assertTrue(m.find(), "README.md has a logrotate recipe");
        return m.group(1).trim();
    }

    private static void get(final int port, final String target, final int times) throws IOException {
        try (RawHttp http = new RawHttp(port)) {
            for (int i = 0; i < times; i++) {
                http.send("GET " + target + " HTTP/1.1\r\nHost: weir\r\n\r\n");
                assertEquals(200, http.read(false).status);
            }
        }
    }

    private static long lines(final Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file).size() : -1;
        } catch (final IOException e) {
            return -1;
        }
    }
}
