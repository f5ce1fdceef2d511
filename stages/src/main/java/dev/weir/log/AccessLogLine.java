package dev.weir.log;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import dev.weir.conn.ConnectionSlot;
import dev.weir.http.HttpBytes;

/**
 * Formats one {@link AccessRecord} as one line of the access log, in the NCSA common or combined format or as
 * one JSON object:
 * <pre>
 * common:   127.0.0.1 - - [30/Nov/2026:18:16:40 +0000] "GET /a?b=1 HTTP/1.1" 200 1234
 * combined: 127.0.0.1 - - [30/Nov/2026:18:16:40 +0000] "GET /a?b=1 HTTP/1.1" 200 1234 "http://r/" "curl/8.1"
 * json:     {"time":"2026-11-30T18:16:40.123Z","client":"127.0.0.1","method":"GET","target":"/a?b=1",
 *            "protocol":"HTTP/1.1","status":200,"bytes":1234,"duration_ms":0.412,"head_ms":0.380,
 *            "upstream":"127.0.0.1:9000","referer":"http://r/","user_agent":"curl/8.1","reset":false,
 *            "truncated":false}                                                          (one line in reality)
 * </pre>
 * Times are UTC. Bytes are what was written to the client, heads included; status 0 (no response: the client left
 * first) is written {@code 000} in the text formats. A response cut short by a reset keeps its status and the bytes
 * really sent, and JSON says {@code "reset":true}. A value longer than {@code access-log.max-target} ends in
 * {@code ...}. Inside quotes, the text formats write {@code "} and {@code \} as {@code \"} and {@code \\} and any
 * other byte outside printable ASCII as {@code \xHH} (as nginx does); JSON writes such bytes as
 * <code>&#92;u00HH</code>,
 * so every line is valid JSON whatever a client sent.
 * <p>
 * <b>Note:</b> one instance per log thread (it caches the formatted second); allocates nothing after construction.
 */
final class AccessLogLine {

    /** NCSA common log format. */
    static final int COMMON = 0;
    /** NCSA combined: common plus Referer and User-Agent. */
    static final int COMBINED = 1;
    /** One JSON object a line. */
    static final int JSON = 2;

    /** Bytes of fixed text a line may hold besides its escaped values: JSON keys, date, numbers, server name. */
    static final int FIXED_LINE_BYTES = 1024;
    /** Longest upstream server name written; longer ones are cut. */
    static final int MAX_SERVER_BYTES = 300;
    /** The most one captured byte grows to when escaped: <code>&#92;u00HH</code>. */
    static final int MAX_ESCAPE_BYTES = 6;

    private static final byte[] HEX = HttpBytes.ascii("0123456789abcdef");
    private static final byte[] MONTHS = HttpBytes.ascii("JanFebMarAprMayJunJulAugSepOctNovDec");
    private static final byte[] DASH = HttpBytes.ascii("-");
    private static final byte[] ELLIPSIS = HttpBytes.ascii("...");
    private static final byte[] NULL = HttpBytes.ascii("null");
    private static final byte[] TRUE = HttpBytes.ascii("true");
    private static final byte[] FALSE = HttpBytes.ascii("false");
    private static final byte[] CLF_IDENTITY = HttpBytes.ascii(" - - [");
    private static final byte[] CLF_OFFSET = HttpBytes.ascii(" +0000] \"");
    private static final byte[] J_TIME = HttpBytes.ascii("{\"time\":\"");
    private static final byte[] J_CLIENT = HttpBytes.ascii("Z\",\"client\":");
    private static final byte[] J_METHOD = HttpBytes.ascii(",\"method\":");
    private static final byte[] J_TARGET = HttpBytes.ascii(",\"target\":");
    private static final byte[] J_PROTOCOL = HttpBytes.ascii(",\"protocol\":");
    private static final byte[] J_STATUS = HttpBytes.ascii(",\"status\":");
    private static final byte[] J_BYTES = HttpBytes.ascii(",\"bytes\":");
    private static final byte[] J_DURATION = HttpBytes.ascii(",\"duration_ms\":");
    private static final byte[] J_HEAD = HttpBytes.ascii(",\"head_ms\":");
    private static final byte[] J_UPSTREAM = HttpBytes.ascii(",\"upstream\":");
    private static final byte[] J_REFERER = HttpBytes.ascii(",\"referer\":");
    private static final byte[] J_AGENT = HttpBytes.ascii(",\"user_agent\":");
    private static final byte[] J_RESET = HttpBytes.ascii(",\"reset\":");
    private static final byte[] J_TRUNCATED = HttpBytes.ascii(",\"truncated\":");

    private final int format;
    private final byte[][] servers;
    /** {@code dd/Mon/yyyy:HH:mm:ss} of {@link #cachedSecond}. */
    private final byte[] clfDate = new byte[20];
    /** {@code yyyy-MM-ddTHH:mm:ss} of {@link #cachedSecond}. */
    private final byte[] isoDate = new byte[19];
    private long cachedSecond = Long.MIN_VALUE;

    /**
     * @param format  {@link #COMMON}, {@link #COMBINED} or {@link #JSON}.
     * @param servers the upstream servers' names by index, e.g. {@code 127.0.0.1:9000}.
     */
    AccessLogLine(final int format, final String[] servers) {
        this.format = format;
        this.servers = new byte[servers.length][];
        for (int i = 0; i < servers.length; i++) {
            final byte[] name = servers[i].getBytes(StandardCharsets.US_ASCII);
            this.servers[i] = name.length <= MAX_SERVER_BYTES ? name : Arrays.copyOf(name, MAX_SERVER_BYTES);
        }
    }

    /**
     * @param name {@code common}, {@code combined} or {@code json}.
     * @return the format's constant.
     */
    static int format(final String name) {
        switch (name) {
            case "combined":
                return COMBINED;
            case "json":
                return JSON;
            case "common":
                return COMMON;
            default:
                throw new IllegalArgumentException("unknown access log format: " + name);
        }
    }

    /**
     * @param maxTargetBytes {@code access-log.max-target}.
     * @return the longest line a record can format to, newline included.
     */
    static int maxLineBytes(final int maxTargetBytes) {
        final int captured = RequestCapture.MAX_METHOD_BYTES + RequestCapture.MAX_VERSION_BYTES
            + 3 * (maxTargetBytes + ELLIPSIS.length) + ConnectionSlot.MAX_ADDRESS_LENGTH;
        return FIXED_LINE_BYTES + MAX_SERVER_BYTES + MAX_ESCAPE_BYTES * captured;
    }

    /**
     * Format one record.
     *
     * @param record the ring's buffer.
     * @param at     offset of the record's body (after the ring's record header).
     * @param out    the output buffer, with room for {@link #maxLineBytes(int)} from {@code pos}.
     * @param pos    where the line starts in {@code out}.
     * @return the offset after the line's newline.
     */
    int format(final DirectBuffer record, final int at, final MutableDirectBuffer out, final int pos) {
        final long startMs = record.getLong(at + AccessRecord.START_EPOCH_MS_OFFSET);
        cacheSecond(Math.floorDiv(startMs, 1000));
        final int clientLength = record.getInt(at + AccessRecord.CLIENT_LENGTH_OFFSET);
        final int client = at + AccessRecord.CLIENT_OFFSET;
        final int capture = client + clientLength;
        final int methodLength = record.getInt(capture + RequestCapture.METHOD_LENGTH_OFFSET);
        final int versionLength = record.getInt(capture + RequestCapture.VERSION_LENGTH_OFFSET);
        final int targetLength = record.getInt(capture + RequestCapture.TARGET_LENGTH_OFFSET);
        final int refererLength = record.getInt(capture + RequestCapture.REFERER_LENGTH_OFFSET);
        final int agentLength = record.getInt(capture + RequestCapture.AGENT_LENGTH_OFFSET);
        final int truncated = record.getInt(capture + RequestCapture.FLAGS_OFFSET);
        final int method = capture + RequestCapture.HEADER_BYTES;
        final int version = method + methodLength;
        final int target = version + versionLength;
        final int referer = target + targetLength;
        final int agent = referer + Math.max(0, refererLength);
        final int status = record.getInt(at + AccessRecord.STATUS_OFFSET);
        final long bytes = record.getLong(at + AccessRecord.BYTES_SENT_OFFSET);
        int p = pos;
        if (format == JSON) {
            p = put(out, p, J_TIME);
            p = put(out, p, isoDate);
            out.putByte(p++, (byte) '.');
            p = digits(out, p, Math.floorMod(startMs, 1000), 3);
            p = put(out, p, J_CLIENT);
            p = json(record, client, clientLength, false, out, p);
            p = put(out, p, J_METHOD);
            p = jsonOrNull(record, method, methodLength, false, out, p);
            p = put(out, p, J_TARGET);
            p = jsonOrNull(record, target, targetLength, (truncated & RequestCapture.TRUNCATED_TARGET) != 0, out, p);
            p = put(out, p, J_PROTOCOL);
            p = jsonOrNull(record, version, versionLength, false, out, p);
            p = put(out, p, J_STATUS);
            p += out.putIntAscii(p, status);
            p = put(out, p, J_BYTES);
            p += out.putLongAscii(p, bytes);
            p = put(out, p, J_DURATION);
            p = millis(out, p, record.getLong(at + AccessRecord.TOTAL_NS_OFFSET));
            p = put(out, p, J_HEAD);
            final long headNs = record.getLong(at + AccessRecord.HEAD_NS_OFFSET);
            p = headNs < 0 ? put(out, p, NULL) : millis(out, p, headNs);
            p = put(out, p, J_UPSTREAM);
            final byte[] server = server(record.getInt(at + AccessRecord.SERVER_OFFSET));
            if (server == null) {
                p = put(out, p, NULL);
            } else {
                out.putByte(p++, (byte) '"');
                p = put(out, p, server);
                out.putByte(p++, (byte) '"');
            }
            p = put(out, p, J_REFERER);
            p = refererLength < 0 ? put(out, p, NULL)
                : json(record, referer, refererLength, (truncated & RequestCapture.TRUNCATED_REFERER) != 0, out, p);
            p = put(out, p, J_AGENT);
            p = agentLength < 0 ? put(out, p, NULL)
                : json(record, agent, agentLength, (truncated & RequestCapture.TRUNCATED_AGENT) != 0, out, p);
            p = put(out, p, J_RESET);
            p = put(out, p, (record.getInt(at + AccessRecord.FLAGS_OFFSET) & AccessRecord.FLAG_RESET) != 0 ? TRUE
                : FALSE);
            p = put(out, p, J_TRUNCATED);
            p = put(out, p, truncated != 0 ? TRUE : FALSE);
            out.putByte(p++, (byte) '}');
        } else {
            p = quoted(record, client, clientLength, out, p);
            p = put(out, p, CLF_IDENTITY);
            p = put(out, p, clfDate);
            p = put(out, p, CLF_OFFSET);
            if (methodLength == 0 && targetLength == 0) {
                p = put(out, p, DASH);
            } else {
                p = quoted(record, method, methodLength, out, p);
                out.putByte(p++, (byte) ' ');
                p = quoted(record, target, targetLength, out, p);
                if ((truncated & RequestCapture.TRUNCATED_TARGET) != 0) {
                    p = put(out, p, ELLIPSIS);
                }
                if (versionLength > 0) {
                    out.putByte(p++, (byte) ' ');
                    p = quoted(record, version, versionLength, out, p);
                }
            }
            out.putByte(p++, (byte) '"');
            out.putByte(p++, (byte) ' ');
            p = digits(out, p, status, 3);
            out.putByte(p++, (byte) ' ');
            p += out.putLongAscii(p, bytes);
            if (format == COMBINED) {
                p = clfQuotedOrDash(record, referer, refererLength,
                    (truncated & RequestCapture.TRUNCATED_REFERER) != 0, out, p);
                p = clfQuotedOrDash(record, agent, agentLength, (truncated & RequestCapture.TRUNCATED_AGENT) != 0,
                    out, p);
            }
        }
        out.putByte(p++, (byte) '\n');
        return p;
    }

    private byte[] server(final int index) {
        return index >= 0 && index < servers.length ? servers[index] : null;
    }

    private static int clfQuotedOrDash(final DirectBuffer in, final int from, final int length, final boolean cut,
        final MutableDirectBuffer out, final int pos) {
        int p = pos;
        out.putByte(p++, (byte) ' ');
        out.putByte(p++, (byte) '"');
        if (length < 0) {
            p = put(out, p, DASH);
        } else {
            p = quoted(in, from, length, out, p);
            if (cut) {
                p = put(out, p, ELLIPSIS);
            }
        }
        out.putByte(p++, (byte) '"');
        return p;
    }

    /** Text for inside a quoted CLF field: {@code "} and {@code \} escaped, other unprintables as {@code \xHH}. */
    private static int quoted(final DirectBuffer in, final int from, final int length,
        final MutableDirectBuffer out, final int pos) {
        int p = pos;
        for (int i = from; i < from + length; i++) {
            final int b = in.getByte(i) & 0xff;
            if (b == '"' || b == '\\') {
                out.putByte(p++, (byte) '\\');
                out.putByte(p++, (byte) b);
            } else if (b < 0x20 || b >= 0x7f) {
                out.putByte(p++, (byte) '\\');
                out.putByte(p++, (byte) 'x');
                out.putByte(p++, HEX[b >>> 4]);
                out.putByte(p++, HEX[b & 0xf]);
            } else {
                out.putByte(p++, (byte) b);
            }
        }
        return p;
    }

    private static int jsonOrNull(final DirectBuffer in, final int from, final int length, final boolean cut,
        final MutableDirectBuffer out, final int pos) {
        return length <= 0 ? put(out, pos, NULL) : json(in, from, length, cut, out, pos);
    }

    /** A JSON string: {@code "} and {@code \} escaped, every other byte outside printable ASCII as a u escape. */
    private static int json(final DirectBuffer in, final int from, final int length, final boolean cut,
        final MutableDirectBuffer out, final int pos) {
        int p = pos;
        out.putByte(p++, (byte) '"');
        for (int i = from; i < from + length; i++) {
            final int b = in.getByte(i) & 0xff;
            if (b == '"' || b == '\\') {
                out.putByte(p++, (byte) '\\');
                out.putByte(p++, (byte) b);
            } else if (b < 0x20 || b >= 0x7f) {
                out.putByte(p++, (byte) '\\');
                out.putByte(p++, (byte) 'u');
                out.putByte(p++, (byte) '0');
                out.putByte(p++, (byte) '0');
                out.putByte(p++, HEX[b >>> 4]);
                out.putByte(p++, HEX[b & 0xf]);
            } else {
                out.putByte(p++, (byte) b);
            }
        }
        if (cut) {
            p = put(out, p, ELLIPSIS);
        }
        out.putByte(p++, (byte) '"');
        return p;
    }

    /** Nanoseconds as milliseconds with three decimals (microseconds). */
    private static int millis(final MutableDirectBuffer out, final int pos, final long nanos) {
        final long micros = Math.max(0, nanos) / 1000;
        int p = pos + out.putLongAscii(pos, micros / 1000);
        out.putByte(p++, (byte) '.');
        return digits(out, p, (int) (micros % 1000), 3);
    }

    /** {@code value} in exactly {@code width} decimal digits, zero-padded (a larger value keeps its low digits). */
    private static int digits(final MutableDirectBuffer out, final int pos, final int value, final int width) {
        int v = Math.max(0, value);
        for (int i = width - 1; i >= 0; i--) {
            out.putByte(pos + i, (byte) ('0' + v % 10));
            v /= 10;
        }
        return pos + width;
    }

    private static int put(final MutableDirectBuffer out, final int pos, final byte[] bytes) {
        out.putBytes(pos, bytes);
        return pos + bytes.length;
    }

    /** Format the date and time of a second, UTC, once per second of records. */
    private void cacheSecond(final long epochSecond) {
        if (epochSecond == cachedSecond) {
            return;
        }
        cachedSecond = epochSecond;
        final long days = Math.floorDiv(epochSecond, 86_400);
        final int secondOfDay = Math.floorMod(epochSecond, 86_400);
        // Howard Hinnant's civil_from_days: proleptic Gregorian date of a day count from 1970-01-01.
        final long z = days + 719_468;
        final long era = Math.floorDiv(z, 146_097);
        final long dayOfEra = z - era * 146_097;
        final long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        final long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        final long mp = (5 * dayOfYear + 2) / 153;
        final int day = (int) (dayOfYear - (153 * mp + 2) / 5 + 1);
        final int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        final int year = (int) (yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
        final int hour = secondOfDay / 3600;
        final int minute = secondOfDay / 60 % 60;
        final int second = secondOfDay % 60;
        twoDigits(clfDate, 0, day);
        clfDate[2] = '/';
        System.arraycopy(MONTHS, (month - 1) * 3, clfDate, 3, 3);
        clfDate[6] = '/';
        fourDigits(clfDate, 7, year);
        clfDate[11] = ':';
        twoDigits(clfDate, 12, hour);
        clfDate[14] = ':';
        twoDigits(clfDate, 15, minute);
        clfDate[17] = ':';
        twoDigits(clfDate, 18, second);
        fourDigits(isoDate, 0, year);
        isoDate[4] = '-';
        twoDigits(isoDate, 5, month);
        isoDate[7] = '-';
        twoDigits(isoDate, 8, day);
        isoDate[10] = 'T';
        twoDigits(isoDate, 11, hour);
        isoDate[13] = ':';
        twoDigits(isoDate, 14, minute);
        isoDate[16] = ':';
        twoDigits(isoDate, 17, second);
    }

    private static void twoDigits(final byte[] to, final int at, final int value) {
        to[at] = (byte) ('0' + value / 10 % 10);
        to[at + 1] = (byte) ('0' + value % 10);
    }

    private static void fourDigits(final byte[] to, final int at, final int value) {
        twoDigits(to, at, value / 100);
        twoDigits(to, at + 2, value % 100);
    }
}
