package dev.weir.arena;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of equal blocks carved from an {@link Arena}, handed out by int handle.
 * <p>
 * Acquire and release are O(1), allocate nothing and take no lock: free blocks are indices on a preallocated
 * int stack, and the last block released is the next one acquired (its lines are likely still in cache). An
 * empty pool answers {@link #NO_BLOCK} and counts the failure in {@link #counters()}.
 * <p>
 * A handle carries the pool's id above the block's index, so a handle from another pool is caught:
 * <pre>
 *   31 30                 20 19                                  0
 *  +--+---------------------+-------------------------------------+
 *  |0 |  pool id (11 bits)  |        block index (20 bits)        |
 *  +--+---------------------+-------------------------------------+
 * </pre>
 * Bit 31 is always 0, so every handle is {@code >= 0} and never equals {@link #NO_BLOCK}. Pool ids run from
 * 1 to {@link #MAX_POOL_ID} and then wrap (a process carves a few pools at startup, far fewer than 2047), so
 * handle 0 is never valid. A per-block in-use flag catches a double release.
 * <p>
 * <b>Note:</b> single owner: {@link #tryAcquire()} and {@link #release(int)} are called by one thread; the
 * counters may be read from any thread.
 */
public final class BlockPool {

    /** Returned by {@link #tryAcquire()} when every block is in use. */
    public static final int NO_BLOCK = -1;

    /** Bits of a handle that hold the block index. */
    public static final int INDEX_BITS = 20;

    /** The most blocks one pool can hold. */
    public static final int MAX_BLOCK_COUNT = 1 << INDEX_BITS;

    /** The largest pool id; ids wrap back to 1 after it. */
    public static final int MAX_POOL_ID = (1 << (Integer.SIZE - 1 - INDEX_BITS)) - 1;

    private static final int INDEX_MASK = MAX_BLOCK_COUNT - 1;
    private static final AtomicInteger POOL_IDS = new AtomicInteger();

    private final Arena arena;
    private final String name;
    private final long baseOffset;
    private final int blockLength;
    private final int blockCount;
    private final int poolId;
    private final int handleBase;
    private final ByteBuffer[] buffers;
    private final int[] freeStack;
    private final boolean[] inUse;
    private final PoolCounters counters;
    private int freeCount;

    BlockPool(final Arena arena, final String name, final long baseOffset, final int blockLength,
        final int blockCount) {
        checkShape(name, blockLength, blockCount);
        this.arena = arena;
        this.name = name;
        this.baseOffset = baseOffset;
        this.blockLength = blockLength;
        this.blockCount = blockCount;
        this.poolId = nextPoolId();
        this.handleBase = poolId << INDEX_BITS;
        this.buffers = new ByteBuffer[blockCount];
        this.freeStack = new int[blockCount];
        this.inUse = new boolean[blockCount];
        this.counters = new PoolCounters(blockCount);
        for (int i = 0; i < blockCount; i++) {
            buffers[i] = arena.view(baseOffset + (long) i * blockLength, blockLength);
            // Lowest index on top, so a fresh pool hands out blocks in address order.
            freeStack[i] = blockCount - 1 - i;
        }
        this.freeCount = blockCount;
    }

    static void checkShape(final String name, final int blockLength, final int blockCount) {
        if (blockLength <= 0) {
            throw new IllegalArgumentException("pool '" + name + "': blockLength must be > 0: " + blockLength);
        }
        if (blockCount <= 0 || blockCount > MAX_BLOCK_COUNT) {
            throw new IllegalArgumentException("pool '" + name + "': blockCount must be in 1.." + MAX_BLOCK_COUNT
                + ": " + blockCount);
        }
    }

    private static int nextPoolId() {
        return POOL_IDS.getAndIncrement() % MAX_POOL_ID + 1;
    }

    /**
     * Take a free block.
     *
     * @return the block's handle, or {@link #NO_BLOCK} when the pool is exhausted (counted as a failed
     *     acquisition).
     */
    public int tryAcquire() {
        if (freeCount == 0) {
            counters.onFailedAcquire();
            return NO_BLOCK;
        }
        final int index = freeStack[--freeCount];
        inUse[index] = true;
        counters.onAcquire();
        return handleBase | index;
    }

    /**
     * Return a block.
     *
     * @param block a handle from {@link #tryAcquire()} of this pool.
     * @throws IllegalStateException when the block is already free or belongs to another pool; a bug.
     */
    public void release(final int block) {
        final int index = index(block);
        if (!inUse[index]) {
            throw new IllegalStateException("pool '" + name + "': block " + index + " released twice");
        }
        inUse[index] = false;
        freeStack[freeCount++] = index;
        counters.onRelease();
    }

    /**
     * The preallocated direct view over one block; the caller sets position and limit.
     *
     * @param block the block's handle.
     * @return the same view every time for the same block.
     * @throws IllegalStateException when the handle belongs to another pool; a bug.
     */
    public ByteBuffer buffer(final int block) {
        return buffers[index(block)];
    }

    /**
     * @param block the block's handle.
     * @return the block's offset within its arena.
     * @throws IllegalStateException when the handle belongs to another pool; a bug.
     */
    public long offset(final int block) {
        return baseOffset + (long) index(block) * blockLength;
    }

    /**
     * @param block the block's handle.
     * @return {@code true} when the block is acquired now.
     * @throws IllegalStateException when the handle belongs to another pool; a bug.
     */
    public boolean isAcquired(final int block) {
        return inUse[index(block)];
    }

    /** @return the owning arena. */
    public Arena arena() {
        return arena;
    }

    /** @return the pool's name. */
    public String name() {
        return name;
    }

    /** @return bytes per block. */
    public int blockLength() {
        return blockLength;
    }

    /** @return the number of blocks. */
    public int blockCount() {
        return blockCount;
    }

    /** @return free blocks now; owner thread only (other threads read {@link #counters()}). */
    public int available() {
        return freeCount;
    }

    /** @return capacity, in-use, high-water mark and failed acquisitions. */
    public PoolCounters counters() {
        return counters;
    }

    /** @return this pool's id, the handle's bits 20 to 30. */
    public int poolId() {
        return poolId;
    }

    private int index(final int block) {
        final int index = block & INDEX_MASK;
        // One compare catches NO_BLOCK, a foreign pool's handle and an index past the end.
        if ((block & ~INDEX_MASK) != handleBase || index >= blockCount) {
            throw new IllegalStateException(foreignMessage(block));
        }
        return index;
    }

    private String foreignMessage(final int block) {
        return "pool '" + name + "' (id " + poolId + ") was given handle 0x" + Integer.toHexString(block)
            + " of pool id " + (block >>> INDEX_BITS) + "; not one of its blocks";
    }
}
