package dev.weir.arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.weir.arena.support.ProcStatus;
import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class ArenaTest {

    private static final long MIB = 1L << 20;
    private static final long COMMIT_BYTES = 64 * MIB;

    @Test
    void shouldGrowTheResidentSetByTheWholeArenaWhenCommitted() {
        final long before = ProcStatus.residentBytes();
        try (Arena arena = Arena.commit("rss", COMMIT_BYTES, false)) {
            final long grown = ProcStatus.residentBytes() - before;
            assertTrue(grown >= COMMIT_BYTES, "resident set grew by " + grown + " bytes, expected >= " + COMMIT_BYTES);
            assertEquals(COMMIT_BYTES, arena.capacityBytes());
            assertTrue(arena.commitNanos() > 0);
        }
    }

    /** Negative control: the same measurement catches a store that reserves address space only. */
    @Test
    void shouldNotGrowTheResidentSetForALazilyCommittedStore() {
        final long before = ProcStatus.residentBytes();
        final BytesStore<?, Void> lazy = BytesStore.lazyNativeBytesStoreWithFixedCapacity(COMMIT_BYTES);
        try {
            final long grown = ProcStatus.residentBytes() - before;
            assertTrue(grown < COMMIT_BYTES / 2, "lazy store grew the resident set by " + grown + " bytes");
        } finally {
            lazy.releaseLast();
        }
    }

    @Test
    void shouldBackTheArenaWithHugePagesWhereTheKernelAllows() throws IOException {
        final String thp = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
        Assumptions.assumeFalse(thp.contains("[never]"), "transparent huge pages are off on this host: " + thp);
        try (Arena arena = Arena.commit("huge", 16 * MIB, false)) {
            final long huge = anonHugeBytes(arena.address(), arena.capacityBytes());
            // The whole 2 MiB pages inside the region: 7 of 16 MiB at worst, when it starts just past a boundary.
            assertTrue(huge >= 7 * MIB, "huge pages under the arena: " + huge + " bytes");
        }
    }

    /** Negative control: memory nobody advised stays in small pages under THP's madvise mode. */
    @Test
    void shouldFindNoHugePagesUnderAPlainStoreInMadviseMode() throws IOException {
        final String thp = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
        Assumptions.assumeTrue(thp.contains("[madvise]"), "needs THP in madvise mode: " + thp);
        final BytesStore<?, Void> plain = BytesStore.nativeStoreWithFixedCapacity(16 * MIB);
        try {
            assertEquals(0, anonHugeBytes(plain.addressForRead(0), 16 * MIB));
        } finally {
            plain.releaseLast();
        }
    }

    /** @return bytes of anonymous huge pages in the mappings that overlap {@code [address, address + length)}. */
    private static long anonHugeBytes(final long address, final long length) throws IOException {
        final List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        long total = 0;
        boolean inside = false;
        for (final String line : lines) {
            final int dash = line.indexOf('-');
            final int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                final long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                final long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = start < address + length && end > address;
            } else if (inside && line.startsWith("AnonHugePages:")) {
                total += Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return total;
    }

    @Test
    void shouldStartZeroFilled() {
        try (Arena arena = Arena.commit("zero", 3 * MIB + 5, false)) {
            final BytesStore<?, ?> store = arena.store();
            for (long offset = 0; offset < arena.capacityBytes(); offset += 4096) {
                assertEquals(0, store.readByte(offset), "byte at " + offset);
            }
            assertEquals(0, store.readByte(arena.capacityBytes() - 1));
        }
    }

    @Test
    void shouldGiveDirectViewsThatShareBytesWithTheStore() {
        try (Arena arena = Arena.commit("views", MIB, false)) {
            final ByteBuffer view = arena.view(4096, 256);
            assertTrue(view.isDirect());
            assertEquals(256, view.capacity());
            assertEquals(0, view.position());
            assertEquals(256, view.limit());

            view.put(0, (byte) 42);
            view.put(255, (byte) -7);
            assertEquals(42, arena.store().readByte(4096));
            assertEquals(-7, arena.store().readByte(4096 + 255));

            arena.store().writeByte(4096 + 100, (byte) 99);
            assertEquals(99, view.get(100));
            assertEquals(0, arena.store().readByte(4096 + 256), "a view must not write past its length");
        }
    }

    @Test
    void shouldMoveBytesBetweenViewsThroughAChannel() throws IOException {
        try (Arena arena = Arena.commit("channel", MIB, false)) {
            final ByteBuffer out = arena.view(0, 16);
            final ByteBuffer in = arena.view(1024, 16);
            for (int i = 0; i < 16; i++) {
                out.put(i, (byte) (i + 1));
            }
            final Pipe pipe = Pipe.open();
            try (Pipe.SinkChannel sink = pipe.sink(); Pipe.SourceChannel source = pipe.source()) {
                assertEquals(16, sink.write(out));
                int read = 0;
                while (read < 16) {
                    read += source.read(in);
                }
            }
            for (int i = 0; i < 16; i++) {
                assertEquals(i + 1, arena.store().readByte(1024 + i));
            }
        }
    }

    @Test
    void shouldRejectAViewOutsideTheArena() {
        try (Arena arena = Arena.commit("bounds", MIB, false)) {
            assertThrows(IndexOutOfBoundsException.class, () -> arena.view(MIB - 10, 11));
            assertThrows(IndexOutOfBoundsException.class, () -> arena.view(-1, 1));
            assertEquals(10, arena.view(MIB - 10, 10).capacity());
        }
    }

    @Test
    void shouldReserveAlignedRegionsAndThrowBeyondCapacity() {
        try (Arena arena = Arena.commit("reserve", 1000, false)) {
            assertEquals(0, arena.reserve(3));
            assertEquals(8, arena.reserve(100));
            assertEquals(1000 - 108, arena.remainingBytes());
            final IllegalStateException e = assertThrows(IllegalStateException.class, () -> arena.reserve(900));
            assertTrue(e.getMessage().contains("reserve"), e.getMessage());
            assertEquals(1000 - 108, arena.remainingBytes(), "a failed reservation takes nothing");
            assertEquals(112, arena.reserve(888));
            assertEquals(0, arena.remainingBytes());
            assertThrows(IllegalStateException.class, () -> arena.reserve(1));
        }
    }

    @Test
    void shouldRejectANonPositiveCapacity() {
        assertThrows(IllegalArgumentException.class, () -> Arena.commit("none", 0, false));
    }

    @Test
    void shouldLockASmallArenaAndUnlockItOnClose() {
        final long lockedBefore = ProcStatus.lockedBytes();
        final Arena arena = Arena.commit("locked", 4 * MIB, true);
        try {
            assertTrue(arena.isLocked());
            assertTrue(ProcStatus.lockedBytes() - lockedBefore >= 4 * MIB, "VmLck did not grow by the arena");
        } finally {
            arena.close();
        }
        assertFalse(arena.isLocked());
        assertTrue(ProcStatus.lockedBytes() - lockedBefore < MIB, "VmLck still holds the arena after close");
    }

    @Test
    void shouldCloseOnceAndRefuseCarvingAfterwards() {
        final Arena arena = Arena.commit("close", MIB, false);
        assertEquals("close", arena.name());
        assertFalse(arena.isLocked());
        arena.close();
        arena.close();
        assertTrue(arena.isClosed());
        assertThrows(IllegalStateException.class, () -> arena.reserve(8));
        assertThrows(IllegalStateException.class, () -> arena.view(0, 8));
    }
}
