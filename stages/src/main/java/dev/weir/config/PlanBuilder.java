package dev.weir.config;

import java.util.ArrayList;
import java.util.List;

import dev.weir.arena.plan.MemoryPlan;
import dev.weir.arena.plan.PlanItem;
import dev.weir.arena.plan.PlanItem.Kind;
import dev.weir.log.AccessLog;

/**
 * Computes the {@link MemoryPlan} of a configuration, from the sizes in {@link StageSizes}, before anything is
 * allocated.
 * <p>
 * Rows, in order: the four stage arenas and, when the access log is on, its arena (committed), the Java heap
 * (committed: {@code -Xms} = {@code -Xmx},
 * pre-touched), the rings and the slot table (in heap, not added again), the stage threads' stacks to
 * {@code jvm.stack-pretouch} (committed), the rest of the thread stacks, metaspace, code
 * cache, direct memory and the JVM overhead allowance (caps), and the kernel socket buffers (kernel).
 * <p>
 * <b>Note:</b> stateless and thread-safe.
 */
public final class PlanBuilder {

    /** Row name of the accept stage's arena. */
    public static final String ARENA_ACCEPT = "arena accept";
    /** Row name of the parse stage's arena. */
    public static final String ARENA_PARSE = "arena parse";
    /** Row name of the upstream stage's arena. */
    public static final String ARENA_UPSTREAM = "arena upstream";
    /** Row name of the write stage's arena. */
    public static final String ARENA_WRITE = "arena write";
    /** Row name of the access log's arena, present only when the log is on. */
    public static final String ARENA_LOG = "arena log";
    /** Row name of the Java heap. */
    public static final String HEAP = "java heap";
    /** Row name of the ring entries, inside the heap. */
    public static final String RINGS = "  rings";
    /** Row name of the slot table, inside the heap. */
    public static final String SLOTS = "  slot table";
    /** Row name of the stage threads' stacks touched before "ready", present when {@code jvm.stack-pretouch} is on. */
    public static final String STACKS_TOUCHED = "stacks touched";
    /** Row name of the thread stacks, the part not pre-touched. */
    public static final String THREAD_STACKS = "thread stacks";
    /** Row name of the metaspace cap. */
    public static final String METASPACE = "metaspace";
    /** Row name of the code cache cap. */
    public static final String CODE_CACHE = "code cache";
    /** Row name of the direct memory cap. */
    public static final String DIRECT_MEMORY = "direct memory";
    /** Row name of the JVM overhead allowance. */
    public static final String JVM_OVERHEAD = "jvm overhead";
    /** Row name of the kernel socket buffers. */
    public static final String SOCKET_BUFFERS = "socket buffers";
    /** Row name: what grown client send buffers add over the socket buffers row. */
    public static final String LARGE_SEND_BUFFERS = "large send buffers";

    private PlanBuilder() {
    }

    /**
     * @param c a validated configuration.
     * @return its memory plan.
     */
    public static MemoryPlan build(final WeirConfig c) {
        final List<PlanItem> rows = new ArrayList<>(14);
        rows.add(new PlanItem(ARENA_ACCEPT, StageSizes.acceptArenaBytes(c), Kind.COMMITTED,
            "1 thread x 4k scratch (canned 503)"));
        rows.add(new PlanItem(ARENA_PARSE, StageSizes.parseArenaBytes(c), Kind.COMMITTED,
            c.connections() + " connections x parse.buffer " + Sizes.format(c.parseBufferBytes())
            + " (holds the head: request line <= " + Sizes.format(c.maxRequestLineBytes()) + ") + "
            + c.parseThreads() + " x 4k scratch"));
        rows.add(new PlanItem(ARENA_UPSTREAM, StageSizes.upstreamArenaBytes(c), Kind.COMMITTED,
            c.connections() + " connections x upstream.buffer " + Sizes.format(c.upstreamBufferBytes()) + " + "
            + c.upstreamThreads() + " x 4k scratch"));
        rows.add(new PlanItem(ARENA_WRITE, StageSizes.writeArenaBytes(c), Kind.COMMITTED,
            c.writeThreads() + " x 4k scratch (canned responses)"));
        if (c.accessLogOn()) {
            rows.add(new PlanItem(ARENA_LOG, StageSizes.logArenaBytes(c), Kind.COMMITTED,
                "ring " + c.accessLogRecords() + " records x " + AccessLog.recordSlotBytes(c) + " B + "
                    + (AccessLog.ringBytes(c) - c.accessLogRecords() * AccessLog.recordSlotBytes(c)) + " B + "
                    + c.connections() + " connections x " + AccessLog.captureBytesPerSlot(c) + " B capture + "
                    + Sizes.format(AccessLog.outputBytes(c)) + " output"));
        }
        rows.add(new PlanItem(HEAP, StageSizes.committedHeapBytes(c), Kind.COMMITTED, "-Xms=-Xmx, pre-touched"
            + (StageSizes.committedHeapBytes(c) == c.heapBytes() ? "" : ", jvm.heap " + Sizes.format(c.heapBytes())
                + " rounded up to the JVM's 2m alignment") + "; needs "
            + MemoryPlan.human(StageSizes.heapRequiredBytes(c)) + ": 32 MiB + rings + slots + "
            + MemoryPlan.human(StageSizes.integerCacheHeapBytes(c)) + " boxed descriptors"));
        rows.add(new PlanItem(RINGS, StageSizes.ringsHeapBytes(c), Kind.IN_HEAP,
            StageSizes.ringCount(c) + " rings x " + c.ringSize() + " entries x " + StageSizes.RING_ENTRY_BYTES
                + " B"));
        rows.add(new PlanItem(SLOTS, StageSizes.slotTableHeapBytes(c), Kind.IN_HEAP,
            c.connections() + " slots x " + StageSizes.slotHeapBytes(c) + " B (" + Sizes.format(
                StageSizes.SLOT_BASE_HEAP_BYTES) + " + " + c.maxHeaders() + " fields x "
                + StageSizes.HEAD_HEAP_BYTES_PER_FIELD + " B)"));
        final long touched = StageSizes.pretouchedStackBytes(c);
        if (touched > 0) {
            rows.add(new PlanItem(STACKS_TOUCHED, touched, Kind.COMMITTED, (StageSizes.stageThreads(c)
                + StageSizes.logThreads(c)) + " threads x jvm.stack-pretouch " + Sizes.format(c.stackPretouchBytes())
                + ", part of -Xss"));
        }
        rows.add(new PlanItem(THREAD_STACKS, StageSizes.threadStacksBytes(c) - touched, Kind.CAP,
            "(" + StageSizes.stageThreads(c) + " stage + " + (c.accessLogOn() ? "1 log + " : "")
                + (c.adminEnabled() ? StageSizes.ADMIN_THREADS + " admin + " : "") + StageSizes.JVM_THREAD_ALLOWANCE
                + " JVM threads) x -Xss" + Sizes.format(c.threadStackBytes())
                + (touched > 0 ? " - pre-touched" : "")));
        rows.add(new PlanItem(METASPACE, c.metaspaceBytes(), Kind.CAP, "-XX:MaxMetaspaceSize"));
        rows.add(new PlanItem(CODE_CACHE, c.codeCacheBytes(), Kind.CAP, "-XX:ReservedCodeCacheSize"));
        rows.add(new PlanItem(DIRECT_MEMORY, c.directMemoryBytes(), Kind.CAP, "-XX:MaxDirectMemorySize"));
        rows.add(new PlanItem(JVM_OVERHEAD, c.jvmOverheadBytes(), Kind.CAP,
            "libraries, class archive, compilers, GC, symbols, malloc"));
        rows.add(new PlanItem(SOCKET_BUFFERS, StageSizes.socketKernelBytes(c), Kind.KERNEL,
            c.connections() + " client x (2x" + Sizes.format(c.socketReceiveBufferBytes()) + " rcv + 2x"
                + Sizes.format(c.socketResponseBufferBytes()) + " snd) + " + c.upstreamConnections() + " origin x (2x"
                + Sizes.format(c.socketResponseBufferBytes()) + " rcv + 2x" + Sizes.format(c.socketSendBufferBytes())
                + " snd) + " + StageSizes.otherSocketCount(c) + " other x (2x"
                + Sizes.format(c.socketReceiveBufferBytes()) + " + 2x" + Sizes.format(c.socketSendBufferBytes())
                + "), + " + Sizes.format(StageSizes.SOCKET_OVERHEAD_BYTES) + " each"));
        if (c.largeResponseBuffersUsable() > 0) {
            rows.add(new PlanItem(LARGE_SEND_BUFFERS, StageSizes.largeSendBufferBytes(c), Kind.KERNEL,
                c.largeResponseBuffersUsable() + " client x 2x(" + Sizes.format(c.largeResponseBufferBytes())
                    + " - " + Sizes.format(c.socketResponseBufferBytes()) + ") snd, over the socket buffers row"));
        }
        return new MemoryPlan(rows);
    }
}
