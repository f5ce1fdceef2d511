package dev.weir.arena;

import java.nio.ByteBuffer;

/**
 * A fixed set of equal blocks carved from an {@link Arena}, handed out by int handle.
 * <p>
 * Acquire and release are O(1), allocate nothing and take no lock. An empty pool answers {@link #NO_BLOCK}
 * and counts the failure in {@link #counters()}.
 * <p>
 * <b>Note:</b> single owner: {@link #tryAcquire()} and {@link #release(int)} are called by one thread; the
 * counters may be read from any thread.
 */
public final class BlockPool {

    /** Returned by {@link #tryAcquire()} when every block is in use. */
    public static final int NO_BLOCK = -1;

    /**
     * Take a free block.
     *
     * @return the block's handle, or {@link #NO_BLOCK} when the pool is exhausted.
     */
    public int tryAcquire() {
        throw new UnsupportedOperationException();
    }

    /**
     * Return a block.
     *
     * @param block a handle from {@link #tryAcquire()} of this pool.
     * @throws IllegalStateException when the block is already free or belongs to another pool; a bug.
     */
    public void release(final int block) {
        throw new UnsupportedOperationException();
    }

    /**
     * The preallocated direct view over one block; the caller sets position and limit.
     *
     * @param block the block's handle.
     * @return the same view every time for the same block.
     */
    public ByteBuffer buffer(final int block) {
        throw new UnsupportedOperationException();
    }

    /**
     * @param block the block's handle.
     * @return the block's offset within its arena.
     */
    public long offset(final int block) {
        throw new UnsupportedOperationException();
    }

    /** @return the owning arena. */
    public Arena arena() {
        throw new UnsupportedOperationException();
    }

    /** @return the pool's name. */
    public String name() {
        throw new UnsupportedOperationException();
    }

    /** @return bytes per block. */
    public int blockLength() {
        throw new UnsupportedOperationException();
    }

    /** @return the number of blocks. */
    public int blockCount() {
        throw new UnsupportedOperationException();
    }

    /** @return free blocks now. */
    public int available() {
        throw new UnsupportedOperationException();
    }

    /** @return capacity, in-use, high-water mark and failed acquisitions. */
    public PoolCounters counters() {
        throw new UnsupportedOperationException();
    }
}
