package dev.weir.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.SplittableRandom;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ExchangeFacts;
import dev.weir.http.ParseStatus;

/** Each format writes the fields of a record exactly, escapes what a client may send, and marks what it cut. */
class AccessLogLineTest {

    private static final String GET = "GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\n\r\n";
    private static final String WITH_FIELDS = "GET /p HTTP/1.1\r\nHost: a\r\nReferer: http://r/\"x\\y\r\n"
        + "User-Agent: a\tb\u00e9\r\n\r\n";

    private AccessLogFixture fixture;

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private AccessLogFixture fixture(final int maxTargetBytes, final boolean headers) {
        fixture = new AccessLogFixture(maxTargetBytes, headers);
        return fixture;
    }

    @Test
    void shouldWriteTheCommonFormat() {
        final AccessLogFixture f = fixture(1024, false);
        assertEquals(ParseStatus.COMPLETE, f.receive(GET));
        f.answered(200, 1234, 0);
        assertEquals("10.0.0.1 - - [30/Nov/2026:18:16:40 +0000] \"GET /a?b=1 HTTP/1.1\" 200 1234\n", f.line("common"));
    }

    @Test
    void shouldWriteTheCombinedFormatWithQuotesBackslashesAndUnprintableBytesEscaped() {
        final AccessLogFixture f = fixture(1024, true);
        assertEquals(ParseStatus.COMPLETE, f.receive(WITH_FIELDS));
        f.answered(404, 17, 0);
        assertEquals("10.0.0.1 - - [30/Nov/2026:18:16:40 +0000] \"GET /p HTTP/1.1\" 404 17"
            + " \"http://r/\\\"x\\\\y\" \"a\\x09b\\xe9\"\n", f.line("combined"));
    }

    @Test
    void shouldWriteDashesForAbsentRefererAndUserAgent() {
        final AccessLogFixture f = fixture(1024, true);
        f.receive(GET);
        f.answered(200, 5, 0);
        assertTrue(f.line("combined").endsWith("\" 200 5 \"-\" \"-\"\n"), f.line("combined"));
    }

    @Test
    void shouldWriteEveryFieldAsValidJson() {
        final AccessLogFixture f = fixture(1024, true);
        f.receive(WITH_FIELDS);
        f.answered(200, 1234, 0);
        final String line = f.line("json");
        assertTrue(line.matches("\\{\"time\":\"2026-11-30T18:16:40\\.123Z\",\"client\":\"10\\.0\\.0\\.1\","
            + "\"method\":\"GET\",\"target\":\"/p\",\"protocol\":\"HTTP/1\\.1\",\"status\":200,\"bytes\":1234,"
            + "\"duration_ms\":\\d+\\.\\d{3},\"head_ms\":1\\.000,\"upstream\":\"127\\.0\\.0\\.1:9000\","
            + "\"referer\":\"http://r/\\\\\"x\\\\\\\\y\",\"user_agent\":\"a\\\\u0009b\\\\u00e9\","
            + "\"reset\":false,\"truncated\":false}\n"), line);
        final double durationMs = Double.parseDouble(line.replaceAll(".*\"duration_ms\":([0-9.]+),.*\n", "$1"));
        assertTrue(durationMs >= 1.234 && durationMs < 10_000, line);
    }

    @Test
    void shouldShowACutShortResponseWithItsStatusAndTheBytesReallySent() {
        final AccessLogFixture f = fixture(1024, true);
        f.receive(GET);
        f.answered(200, 40_000, 0);
        f.slot.response.closeMode = ConnectionSlot.CLOSE_RESET;
        assertTrue(f.line("json").contains("\"status\":200,\"bytes\":40000,"), f.line("json"));
        assertTrue(f.line("json").endsWith("\"reset\":true,\"truncated\":false}\n"), f.line("json"));
        assertTrue(f.line("common").endsWith("\" 200 40000\n"), f.line("common"));
    }

    @Test
    void shouldCutALongTargetRefererAndUserAgentAndMarkThem() {
        final AccessLogFixture f = fixture(16, true);
        final String target = "/0123456789abcdefghij";
        f.receive("GET " + target + " HTTP/1.1\r\nHost: a\r\nReferer: http://long.example/referer\r\n"
            + "User-Agent: exactly-16-bytes\r\n\r\n");
        f.answered(200, 1, 0);
        assertEquals("10.0.0.1 - - [30/Nov/2026:18:16:40 +0000] \"GET /0123456789abcde... HTTP/1.1\" 200 1"
            + " \"http://long.exam...\" \"exactly-16-bytes\"\n", f.line("combined"));
        final String json = f.line("json");
        assertTrue(json.contains("\"target\":\"/0123456789abcde...\""), json);
        assertTrue(json.endsWith("\"truncated\":true}\n"), json);
    }

    @Test
    void shouldShowARefusedHeadAsFarAsItsRequestLineArrived() {
        final AccessLogFixture f = fixture(1024, true);
        assertTrue(f.receive("GE\u0001T /x?\"q HTTP/9.9\r\nHost: a\r\n\r\n") < 0);
        f.slot.facts.startEpochMillis = AccessLogFixture.START_MS;
        f.slot.facts.status = 400;
        f.slot.facts.bytesSent = 99;
        assertEquals("10.0.0.1 - - [30/Nov/2026:18:16:40 +0000] \"GE\\x01T /x?\\\"q HTTP/9.9\" 400 99 \"-\" \"-\"\n",
            f.line("combined"));
        final String json = f.line("json");
        assertTrue(json.contains("\"method\":\"GE\\u0001T\",\"target\":\"/x?\\\"q\",\"protocol\":\"HTTP/9.9\","
            + "\"status\":400,\"bytes\":99,\"duration_ms\":0.000,\"head_ms\":null,\"upstream\":null,"), json);
    }

    @Test
    void shouldWriteADashForAHeadWithoutARequestLineAndZerosForNoResponse() {
        final AccessLogFixture f = fixture(1024, false);
        f.receive("\r\n");
        f.slot.facts.startEpochMillis = AccessLogFixture.START_MS;
        f.slot.facts.server = ExchangeFacts.NO_SERVER;
        assertEquals("10.0.0.1 - - [30/Nov/2026:18:16:40 +0000] \"-\" 000 0\n", f.line("common"));
    }

    @Test
    void shouldFormatEveryDateAsJavaTimeDoes() {
        final AccessLogLine line = new AccessLogLine(AccessLogLine.JSON, new String[0]);
        final AccessLogLine clf = new AccessLogLine(AccessLogLine.COMMON, new String[0]);
        final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
        record.putInt(AccessRecord.HEAD_NS_OFFSET, -1);
        final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(AccessLogLine.maxLineBytes(16)));
        final DateTimeFormatter iso = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
        final DateTimeFormatter common = DateTimeFormatter.ofPattern("dd/MMM/uuuu:HH:mm:ss '+0000'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
        final SplittableRandom random = new SplittableRandom(9);
        final long[] edges = {0, Instant.parse("2024-02-29T23:59:59.999Z").toEpochMilli(),
            Instant.parse("2100-03-01T00:00:00Z").toEpochMilli(), Instant.parse("2000-12-31T23:59:59Z").toEpochMilli()};
        for (int i = 0; i < 20_000; i++) {
            final long ms = i < edges.length ? edges[i] : random.nextLong(0, 4_102_444_800_000L);
            record.putLong(AccessRecord.START_EPOCH_MS_OFFSET, ms);
            final String json = out.getStringWithoutLengthAscii(0, line.format(record, 0, out, 0));
            assertTrue(json.startsWith("{\"time\":\"" + iso.format(Instant.ofEpochMilli(ms)) + "\""), json);
            final String text = out.getStringWithoutLengthAscii(0, clf.format(record, 0, out, 0));
            assertTrue(text.startsWith(" - - [" + common.format(Instant.ofEpochMilli(ms)) + "]"), text);
        }
    }
}
