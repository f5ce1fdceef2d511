package dev.weir.arena.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class MemoryPlanTest {

    private static final long MIB = 1024L * 1024;

    private final MemoryPlan plan = new MemoryPlan(List.of(
        new PlanItem("arena parse", 16 * MIB, PlanItem.Kind.COMMITTED, "1024 x 16 KiB"),
        new PlanItem("java heap", 64 * MIB, PlanItem.Kind.COMMITTED, ""),
        new PlanItem("rings", 128 * 1024, PlanItem.Kind.IN_HEAP, ""),
        new PlanItem("metaspace", 32 * MIB, PlanItem.Kind.CAP, ""),
        new PlanItem("socket buffers", 8 * MIB, PlanItem.Kind.KERNEL, "")));

    @Test
    void shouldAddEveryRowButInHeapRowsToTheTotal() {
        assertEquals((16 + 64 + 32 + 8) * MIB, plan.totalBytes());
        assertEquals((16 + 64) * MIB, plan.committedBytes());
        assertEquals(32 * MIB, plan.bytesOf(PlanItem.Kind.CAP));
        assertEquals(8 * MIB, plan.bytesOf(PlanItem.Kind.KERNEL));
    }

    @Test
    void shouldRenderOneLinePerRowAndTheTotal() {
        final String table = plan.render();
        final String[] lines = table.split("\n");
        assertEquals(1 + 1 + 5 + 1 + 1, lines.length, table);
        assertTrue(lines[2].startsWith("arena parse"), lines[2]);
        assertTrue(lines[2].contains("16777216"), lines[2]);
        assertTrue(lines[2].contains("16.0 MiB"), lines[2]);
        assertTrue(lines[2].contains("committed"), lines[2]);
        assertTrue(lines[4].contains("in heap"), lines[4]);
        assertTrue(lines[8].startsWith("total"), lines[8]);
        assertTrue(lines[8].contains(Long.toString(120 * MIB)), lines[8]);
        assertTrue(lines[8].contains("120.0 MiB"), lines[8]);
    }

    @Test
    void shouldFormatHumanUnitsInBinaryMultiples() {
        assertEquals("512 B", MemoryPlan.human(512));
        assertEquals("4.0 KiB", MemoryPlan.human(4096));
        assertEquals("1.5 MiB", MemoryPlan.human(3 * MIB / 2));
        assertEquals("2.0 GiB", MemoryPlan.human(2048 * MIB));
    }

    @Test
    void shouldRejectNegativeRowSize() {
        assertThrows(IllegalArgumentException.class, () -> new PlanItem("x", -1, PlanItem.Kind.CAP, ""));
    }
}
