package dev.weir.arena.plan;

import java.util.Objects;

/**
 * One row of a {@link MemoryPlan}: a component, its size in bytes, what kind of memory it is and how the
 * size was computed.
 * <p>
 * <b>Note:</b> immutable and thread-safe.
 */
public final class PlanItem {

    /** What a row's bytes are, and whether they count towards the plan total. */
    public enum Kind {
        /** In-process memory written at startup (arenas, the pre-touched heap); counted in the total. */
        COMMITTED("committed"),
        /** An upper bound the JVM may grow to (metaspace, code cache, stacks, direct memory); counted. */
        CAP("cap"),
        /** Kernel memory outside the process but charged to its cgroup (socket buffers); counted. */
        KERNEL("kernel"),
        /** Informational: lives inside another row (the heap); not added to the total. */
        IN_HEAP("in heap");

        private final String label;

        Kind(final String label) {
            this.label = label;
        }

        /** @return the short label printed in the plan's kind column. */
        public String label() {
            return label;
        }

        /** @return {@code true} when rows of this kind are added to the plan total. */
        public boolean countsInTotal() {
            return this != IN_HEAP;
        }
    }

    private final String component;
    private final long bytes;
    private final Kind kind;
    private final String detail;

    /**
     * @param component the component's name, e.g. {@code "arena parse"}.
     * @param bytes     its size in bytes, zero or more.
     * @param kind      what kind of memory it is.
     * @param detail    how the size was computed, e.g. {@code "1024 connections x 16 KiB"}; may be empty.
     */
    public PlanItem(final String component, final long bytes, final Kind kind, final String detail) {
        if (bytes < 0) {
            throw new IllegalArgumentException(component + ": negative size " + bytes);
        }
        this.component = Objects.requireNonNull(component, "component");
        this.bytes = bytes;
        this.kind = Objects.requireNonNull(kind, "kind");
        this.detail = detail == null ? "" : detail;
    }

    /** @return the component's name. */
    public String component() {
        return component;
    }

    /** @return the size in bytes. */
    public long bytes() {
        return bytes;
    }

    /** @return what kind of memory the row is. */
    public Kind kind() {
        return kind;
    }

    /** @return how the size was computed; empty when obvious. */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return component + " " + bytes + " " + kind.label();
    }
}
