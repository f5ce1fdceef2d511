package dev.weir.log;

import java.nio.ByteBuffer;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import dev.weir.conn.ConnectionSlot;
import dev.weir.http.HeaderNames;
import dev.weir.http.HttpBytes;
import dev.weir.http.RequestHead;

/**
 * What the access log needs from a request head, copied out of the parse block on the parse stage thread when the
 * head is parsed (or refused), because body bytes may overwrite the block before the exchange ends. One region per
 * connection slot, preallocated in the {@code log} arena:
 * <pre>
 *   0            4             8            12            16           20       24
 *   +------------+-------------+------------+-------------+------------+--------+------------------------------+
 *   | method len | version len | target len | referer len | agent len  | flags  | method version target referer|
 *   |            |             |            | -1: none    | -1: none   |        | agent bytes, back to back    |
 *   +------------+-------------+------------+-------------+------------+--------+------------------------------+
 * </pre>
 * Lengths are of the bytes kept: at most {@value #MAX_METHOD_BYTES} of the method, {@value #MAX_VERSION_BYTES}
 * of the version, {@code access-log.max-target} of the target, Referer and User-Agent (those two only for the
 * combined and JSON formats); a longer one is cut and its {@code TRUNCATED_*} flag set.
 * <p>
 * <b>Note:</b> a slot's region is written by the parse stage thread that owns its request half, and read by the
 * thread that finishes the exchange, after the hand-offs that order the two. Allocates nothing after construction.
 */
public final class RequestCapture {

    /** Longest method kept (the parser refuses longer ones with 400 anyway). */
    public static final int MAX_METHOD_BYTES = 16;
    /** Longest version kept: {@code HTTP/1.1}. */
    public static final int MAX_VERSION_BYTES = 8;
    /** Bytes before the captured text. */
    public static final int HEADER_BYTES = 24;

    static final int METHOD_LENGTH_OFFSET = 0;
    static final int VERSION_LENGTH_OFFSET = 4;
    static final int TARGET_LENGTH_OFFSET = 8;
    static final int REFERER_LENGTH_OFFSET = 12;
    static final int AGENT_LENGTH_OFFSET = 16;
    static final int FLAGS_OFFSET = 20;

    /** Flag: the target was longer than kept. */
    static final int TRUNCATED_TARGET = 1;
    /** Flag: the Referer was longer than kept. */
    static final int TRUNCATED_REFERER = 2;
    /** Flag: the User-Agent was longer than kept. */
    static final int TRUNCATED_AGENT = 4;

    /** Captures nothing: the access log is off. */
    public static final RequestCapture OFF = new RequestCapture();

    private static final byte[] REFERER = HttpBytes.ascii("referer");
    private static final byte[] USER_AGENT = HttpBytes.ascii("user-agent");
    private static final byte[] HTTP_1_0 = HttpBytes.ascii("HTTP/1.0");
    private static final byte[] HTTP_1_1 = HttpBytes.ascii("HTTP/1.1");

    private final MutableDirectBuffer regions;
    private final int regionBytes;
    private final int maxTargetBytes;
    private final boolean headers;

    private RequestCapture() {
        regions = null;
        regionBytes = 0;
        maxTargetBytes = 0;
        headers = false;
    }

    /**
     * @param regions        the regions of every slot, back to back, {@link #regionBytes} each.
     * @param maxTargetBytes bytes of target, Referer and User-Agent kept.
     * @param headers        {@code true} to keep Referer and User-Agent (combined and JSON formats).
     */
    RequestCapture(final MutableDirectBuffer regions, final int maxTargetBytes, final boolean headers) {
        this.regions = regions;
        this.regionBytes = regionBytes(maxTargetBytes, headers);
        this.maxTargetBytes = maxTargetBytes;
        this.headers = headers;
    }

    /**
     * @param maxTargetBytes {@code access-log.max-target}.
     * @param headers        {@code true} when Referer and User-Agent are kept too.
     * @return bytes of one slot's region, a multiple of 8.
     */
    public static int regionBytes(final int maxTargetBytes, final boolean headers) {
        final int text = MAX_METHOD_BYTES + MAX_VERSION_BYTES + maxTargetBytes * (headers ? 3 : 1);
        return (HEADER_BYTES + text + 7) & ~7;
    }

    /**
     * Copy the method, target, version (and Referer, User-Agent) of the slot's request into its region. Called on
     * the parse stage thread for every head parsed or refused.
     *
     * @param slot     the slot, whose request half the caller owns.
     * @param filled   bytes received in the parse block.
     * @param complete {@code true} when the head parsed; {@code false} for a refused or timed-out head, whose
     *                 request line is read as far as it goes.
     */
    public void onHead(final ConnectionSlot slot, final int filled, final boolean complete) {
        if (regions == null) {
            return;
        }
        final int region = slot.index * regionBytes;
        final RequestHead head = slot.request.head;
        final ByteBuffer block = slot.request.buffer;
        int at = region + HEADER_BYTES;
        int flags = 0;
        int methodLength;
        int versionLength;
        int targetLength;
        if (complete) {
            methodLength = Math.min(MAX_METHOD_BYTES, head.targetStart() - 1 - head.start());
            regions.putBytes(at, block, head.start(), methodLength);
            at += methodLength;
            final byte[] version = head.version() == 10 ? HTTP_1_0 : HTTP_1_1;
            regions.putBytes(at, version);
            versionLength = version.length;
            at += versionLength;
            targetLength = head.targetLength();
        } else {
            // A refused head: take the request line apart as far as it arrived, method SP target SP version.
            int i = Math.min(head.start(), filled);
            final int methodFrom = i;
            i = scan(block, i, filled, methodFrom + MAX_METHOD_BYTES);
            methodLength = i - methodFrom;
            regions.putBytes(at, block, methodFrom, methodLength);
            at += methodLength;
            i = skipSpace(block, i, filled);
            final int targetFrom = i;
            i = scan(block, i, filled, filled);
            targetLength = i - targetFrom;
            i = skipSpace(block, i, filled);
            final int versionFrom = i;
            versionLength = scan(block, i, filled, versionFrom + MAX_VERSION_BYTES) - versionFrom;
            regions.putBytes(at, block, versionFrom, versionLength);
            at += versionLength;
            if (targetLength > maxTargetBytes) {
                flags |= TRUNCATED_TARGET;
                targetLength = maxTargetBytes;
            }
            regions.putBytes(at, block, targetFrom, targetLength);
            at += targetLength;
            put(region, methodLength, versionLength, targetLength, -1, -1, flags);
            return;
        }
        if (targetLength > maxTargetBytes) {
            flags |= TRUNCATED_TARGET;
            targetLength = maxTargetBytes;
        }
        regions.putBytes(at, block, head.targetStart(), targetLength);
        at += targetLength;
        int refererLength = -1;
        int agentLength = -1;
        if (headers) {
            final int referer = find(head, block, REFERER);
            if (referer >= 0) {
                refererLength = Math.min(maxTargetBytes, head.valueLength(referer));
                flags |= head.valueLength(referer) > maxTargetBytes ? TRUNCATED_REFERER : 0;
                regions.putBytes(at, block, head.valueStart(referer), refererLength);
                at += refererLength;
            }
            final int agent = find(head, block, USER_AGENT);
            if (agent >= 0) {
                agentLength = Math.min(maxTargetBytes, head.valueLength(agent));
                flags |= head.valueLength(agent) > maxTargetBytes ? TRUNCATED_AGENT : 0;
                regions.putBytes(at, block, head.valueStart(agent), agentLength);
            }
        }
        put(region, methodLength, versionLength, targetLength, refererLength, agentLength, flags);
    }

    private void put(final int region, final int methodLength, final int versionLength, final int targetLength,
        final int refererLength, final int agentLength, final int flags) {
        regions.putInt(region + METHOD_LENGTH_OFFSET, methodLength);
        regions.putInt(region + VERSION_LENGTH_OFFSET, versionLength);
        regions.putInt(region + TARGET_LENGTH_OFFSET, targetLength);
        regions.putInt(region + REFERER_LENGTH_OFFSET, refererLength);
        regions.putInt(region + AGENT_LENGTH_OFFSET, agentLength);
        regions.putInt(region + FLAGS_OFFSET, flags);
    }

    /** @return the first field of that lower-case name, or -1; only fields the parser did not classify are read. */
    private static int find(final RequestHead head, final ByteBuffer block, final byte[] lowerCaseName) {
        for (int i = 0; i < head.headerCount(); i++) {
            if (head.headerId(i) == HeaderNames.OTHER && head.nameLength(i) == lowerCaseName.length
                && equalsIgnoreCase(block, head.nameStart(i), lowerCaseName)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean equalsIgnoreCase(final ByteBuffer block, final int from, final byte[] lowerCase) {
        for (int i = 0; i < lowerCase.length; i++) {
            if (HttpBytes.lower(block.get(from + i)) != lowerCase[i]) {
                return false;
            }
        }
        return true;
    }

    /** @return the first offset from {@code i} (before {@code limit} and {@code end}) holding SP, CR or LF. */
    private static int scan(final ByteBuffer block, final int from, final int end, final int limit) {
        int i = from;
        final int stop = Math.min(end, limit);
        while (i < stop) {
            final byte b = block.get(i);
            if (b == HttpBytes.SP || b == HttpBytes.CR || b == HttpBytes.LF) {
                break;
            }
            i++;
        }
        return i;
    }

    private static int skipSpace(final ByteBuffer block, final int i, final int end) {
        return i < end && block.get(i) == HttpBytes.SP ? i + 1 : i;
    }

    /**
     * @param slot a slot index.
     * @return bytes of that slot's region in use: the header and the text captured.
     */
    int length(final int slot) {
        final int region = slot * regionBytes;
        return HEADER_BYTES + regions.getInt(region + METHOD_LENGTH_OFFSET)
            + regions.getInt(region + VERSION_LENGTH_OFFSET) + regions.getInt(region + TARGET_LENGTH_OFFSET)
            + Math.max(0, regions.getInt(region + REFERER_LENGTH_OFFSET))
            + Math.max(0, regions.getInt(region + AGENT_LENGTH_OFFSET));
    }

    /** @param slot a slot index. @return offset of its region in {@link #regions()}. */
    int offset(final int slot) {
        return slot * regionBytes;
    }

    /** @return the regions of every slot. */
    MutableDirectBuffer regions() {
        return regions;
    }

    /** @return bytes of one slot's region. */
    int regionBytes() {
        return regionBytes;
    }

    /** @return a capture over a heap buffer, for tests. */
    static RequestCapture onHeap(final int slots, final int maxTargetBytes, final boolean headers) {
        return new RequestCapture(new UnsafeBuffer(new byte[slots * regionBytes(maxTargetBytes, headers)]),
            maxTargetBytes, headers);
    }
}
