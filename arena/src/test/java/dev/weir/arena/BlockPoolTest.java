package dev.weir.arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BlockPoolTest {

    private static final int BLOCK_LENGTH = 4096;
    private static final int BLOCK_COUNT = 4;

    private Arena arena;
    private BlockPool pool;

    @BeforeEach
    void carve() {
        arena = Arena.commit("pool-test", 1 << 20, false);
        pool = arena.carveBlocks("blocks", BLOCK_LENGTH, BLOCK_COUNT);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void shouldHandOutEveryBlockOnceBeforeExhaustion() {
        final int[] handles = acquireAll();
        for (int i = 0; i < handles.length; i++) {
            for (int j = i + 1; j < handles.length; j++) {
                assertNotEquals(handles[i], handles[j]);
            }
            assertTrue(handles[i] >= 0);
        }
        assertEquals(0, pool.available());
    }

    @Test
    void shouldReturnNoBlockWhenPoolIsExhausted() {
        acquireAll();
        assertEquals(BlockPool.NO_BLOCK, pool.tryAcquire());
        assertEquals(BlockPool.NO_BLOCK, pool.tryAcquire());
        assertEquals(2, pool.counters().failedAcquisitions());
        assertEquals(BLOCK_COUNT, pool.counters().inUse());
    }

    @Test
    void shouldReuseAReleasedBlockAfterExhaustion() {
        final int[] handles = acquireAll();
        pool.release(handles[2]);
        assertEquals(1, pool.available());
        assertEquals(handles[2], pool.tryAcquire());
        assertEquals(BlockPool.NO_BLOCK, pool.tryAcquire());
    }

    @Test
    void shouldTrackInUseAndHighWaterMark() {
        final int a = pool.tryAcquire();
        final int b = pool.tryAcquire();
        final int c = pool.tryAcquire();
        pool.release(b);
        pool.release(a);
        final PoolCounters counters = pool.counters();
        assertEquals(BLOCK_COUNT, counters.capacity());
        assertEquals(1, counters.inUse());
        assertEquals(3, counters.highWaterMark());
        assertEquals(0, counters.failedAcquisitions());
        assertEquals(BLOCK_COUNT - 1, pool.available());
        assertTrue(pool.isAcquired(c));
        assertFalse(pool.isAcquired(a));
    }

    @Test
    void shouldThrowOnDoubleRelease() {
        final int block = pool.tryAcquire();
        pool.release(block);
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.release(block));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
        assertEquals(0, pool.counters().inUse());
        assertEquals(BLOCK_COUNT, pool.available());
    }

    @Test
    void shouldThrowOnReleaseOfABlockFromAnotherPool() {
        final BlockPool other = arena.carveBlocks("other", BLOCK_LENGTH, BLOCK_COUNT);
        final int foreign = other.tryAcquire();
        pool.tryAcquire();
        assertThrows(IllegalStateException.class, () -> pool.release(foreign));
        assertThrows(IllegalStateException.class, () -> pool.buffer(foreign));
        assertEquals(1, pool.counters().inUse());
        assertTrue(other.isAcquired(foreign));
    }

    @Test
    void shouldThrowOnReleaseOfNoBlockOrAnUnissuedHandle() {
        assertThrows(IllegalStateException.class, () -> pool.release(BlockPool.NO_BLOCK));
        assertThrows(IllegalStateException.class, () -> pool.release(0));
        final int outOfRange = (pool.poolId() << BlockPool.INDEX_BITS) | BLOCK_COUNT;
        assertThrows(IllegalStateException.class, () -> pool.release(outOfRange));
    }

    @Test
    void shouldReturnTheSamePreallocatedDirectViewForABlock() {
        final int block = pool.tryAcquire();
        final ByteBuffer view = pool.buffer(block);
        assertSame(view, pool.buffer(block));
        assertTrue(view.isDirect());
        assertEquals(BLOCK_LENGTH, view.capacity());
        view.put(0, (byte) 0x5A);
        assertEquals((byte) 0x5A, arena.store().readByte(pool.offset(block)));
    }

    @Test
    void shouldLayBlocksOutBackToBackWithoutOverlap() {
        final int[] handles = acquireAll();
        for (int i = 0; i < handles.length; i++) {
            pool.buffer(handles[i]).put(BLOCK_LENGTH - 1, (byte) i);
            pool.buffer(handles[i]).put(0, (byte) (100 + i));
        }
        for (int i = 0; i < handles.length; i++) {
            assertEquals(pool.offset(handles[0]) + (long) i * BLOCK_LENGTH, pool.offset(handles[i]));
            assertEquals((byte) i, pool.buffer(handles[i]).get(BLOCK_LENGTH - 1));
            assertEquals((byte) (100 + i), pool.buffer(handles[i]).get(0));
        }
    }

    @Test
    void shouldTakeItsBytesFromTheArena() {
        final long before = arena.remainingBytes();
        final BlockPool more = arena.carveBlocks("more", 1000, 3);
        assertEquals(before - 3000, arena.remainingBytes(), "the arena was 8-byte aligned already");
        assertSame(arena, more.arena());
        assertEquals("more", more.name());
        assertEquals(1000, more.blockLength());
        assertEquals(3, more.blockCount());
    }

    @Test
    void shouldRejectAPoolLargerThanTheArena() {
        assertThrows(IllegalStateException.class, () -> arena.carveBlocks("huge", 1 << 20, 2));
        assertThrows(IllegalArgumentException.class, () -> arena.carveBlocks("empty", BLOCK_LENGTH, 0));
        assertThrows(IllegalArgumentException.class, () -> arena.carveBlocks("zero", 0, 1));
    }

    @Test
    void shouldNotAllocateWhenAcquiringAndReleasing() {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        // Warm up past JIT compilation: the interpreter and tier transitions may allocate once.
        for (int i = 0; i < 5; i++) {
            cycle(100_000);
        }
        // The probe itself may allocate a little; measure it over an empty window and subtract it.
        final long probeStart = threads.getCurrentThreadAllocatedBytes();
        final long probe = threads.getCurrentThreadAllocatedBytes() - probeStart;
        final long before = threads.getCurrentThreadAllocatedBytes();
        final long checksum = cycle(100_000);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before - probe;
        assertEquals(0, allocated, "bytes allocated by 100k acquire/release cycles (probe " + probe + ")");
        assertTrue(checksum > 0);
    }

    private long cycle(final int rounds) {
        long checksum = 0;
        for (int r = 0; r < rounds; r++) {
            final int a = pool.tryAcquire();
            final int b = pool.tryAcquire();
            checksum += pool.buffer(a).capacity() + pool.offset(b);
            pool.release(b);
            pool.release(a);
        }
        return checksum;
    }

    private int[] acquireAll() {
        final int[] handles = new int[BLOCK_COUNT];
        for (int i = 0; i < BLOCK_COUNT; i++) {
            handles[i] = pool.tryAcquire();
            assertNotEquals(BlockPool.NO_BLOCK, handles[i]);
        }
        return handles;
    }
}
