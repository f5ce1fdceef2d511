package dev.weir.arena;

import java.nio.ByteBuffer;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * One fixed-capacity region of native memory, committed (every page written) when it is created.
 * <p>
 * A stage owns one arena. Everything the stage will ever buffer is carved from it at startup: block pools
 * with {@link #carveBlocks(String, int, int)}, single regions with {@link #reserve(long)}. The arena never
 * grows; when it is closed its memory is returned to the operating system.
 * <p>
 * <b>Note:</b> carving is for startup, on one thread; the views it hands out may then be used by the stage
 * thread that owns them.
 */
public final class Arena implements AutoCloseable {

    /**
     * Create and commit an arena.
     *
     * @param name          the owner, for logs and the memory plan, e.g. {@code "parse"}.
     * @param capacityBytes the exact size of the region in bytes, greater than zero.
     * @param lock          {@code true} to {@code mlock} the region after committing it.
     * @return the committed arena.
     * @throws MemoryLockException when locking is asked for and the kernel refuses it.
     */
    public static Arena commit(final String name, final long capacityBytes, final boolean lock) {
        throw new UnsupportedOperationException("arena module not yet implemented");
    }

    /** @return the owner's name given at creation. */
    public String name() {
        throw new UnsupportedOperationException();
    }

    /** @return the size of the region in bytes. */
    public long capacityBytes() {
        throw new UnsupportedOperationException();
    }

    /** @return bytes not yet carved out by {@link #reserve(long)} or {@link #carveBlocks(String, int, int)}. */
    public long remainingBytes() {
        throw new UnsupportedOperationException();
    }

    /** @return the Chronicle store over the whole region. */
    public BytesStore<?, ?> store() {
        throw new UnsupportedOperationException();
    }

    /** @return {@code true} when the region is locked in RAM. */
    public boolean isLocked() {
        throw new UnsupportedOperationException();
    }

    /** @return nanoseconds that committing (and locking) the region took. */
    public long commitNanos() {
        throw new UnsupportedOperationException();
    }

    /**
     * Reserve the next {@code lengthBytes} of the arena.
     *
     * @param lengthBytes bytes to reserve.
     * @return the offset of the reserved region within the arena.
     * @throws IllegalStateException when the arena has fewer bytes left; a sizing bug.
     */
    public long reserve(final long lengthBytes) {
        throw new UnsupportedOperationException();
    }

    /**
     * A direct {@link ByteBuffer} view over part of the arena, for NIO channel reads and writes.
     *
     * @param offset     offset within the arena.
     * @param lengthBytes length of the view.
     * @return a new view with position 0 and limit {@code lengthBytes}; create views at startup only.
     */
    public ByteBuffer view(final long offset, final int lengthBytes) {
        throw new UnsupportedOperationException();
    }

    /**
     * Carve a pool of equal blocks out of the arena.
     *
     * @param poolName    name for logs and metrics.
     * @param blockLength bytes per block.
     * @param blockCount  number of blocks.
     * @return the pool, all blocks free.
     */
    public BlockPool carveBlocks(final String poolName, final int blockLength, final int blockCount) {
        throw new UnsupportedOperationException();
    }

    /** Release the region to the operating system; views over it must no longer be used. */
    @Override
    public void close() {
        throw new UnsupportedOperationException();
    }
}
