package dev.weir.arena;

import java.nio.ByteBuffer;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.PointerBytesStore;
import net.openhft.chronicle.core.OS;
import net.openhft.chronicle.core.io.BackgroundResourceReleaser;
import net.openhft.chronicle.core.io.SingleThreadedChecked;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fixed-capacity region of native memory, committed (every page written) when it is created.
 * <p>
 * A stage owns one arena. Everything the stage will ever buffer is carved from it at startup: block pools
 * with {@link #carveBlocks(String, int, int)}, single regions with {@link #reserve(long)}. The arena never
 * grows; when it is closed its memory is returned to the operating system.
 * <p>
 * Committing: on Linux with overcommit, allocating address space commits nothing; a page is backed by RAM
 * only when it is first written. The region is one Chronicle fixed-capacity native store, allocated without
 * being touched, advised into transparent huge pages where the host allows them
 * ({@link MemoryLock#adviseHugePages}: a thousand connections' buffers then take a few TLB entries instead of
 * thousands), then zero-filled with one bulk {@code setMemory}, so every page has been written (and is
 * resident) before {@link #commit(String, long, boolean)} returns.
 * <p>
 * <b>Note:</b> carving is for startup, on one thread; the views it hands out may then be used by the stage
 * thread that owns them. {@link #close()} may run on another thread (a shutdown hook), after the stage
 * threads have stopped.
 */
public final class Arena implements AutoCloseable {

    /** Every reservation starts on a multiple of this many bytes. */
    public static final int RESERVE_ALIGNMENT_BYTES = 8;

    private static final Logger LOG = LoggerFactory.getLogger(Arena.class);

    private final String name;
    private final long capacityBytes;
    private final BytesStore<?, ?> store;
    private final long address;
    private final long commitNanos;
    private boolean locked;
    private long nextOffset;
    private boolean closed;

    private Arena(final String name, final long capacityBytes, final BytesStore<?, ?> store, final boolean locked,
        final long commitNanos) {
        this.name = name;
        this.capacityBytes = capacityBytes;
        this.store = store;
        this.address = store.addressForRead(0);
        this.locked = locked;
        this.commitNanos = commitNanos;
    }

    /**
     * Create and commit an arena.
     *
     * @param name          the owner, for logs and the memory plan, e.g. {@code "parse"}.
     * @param capacityBytes the exact size of the region in bytes, greater than zero.
     * @param lock          {@code true} to {@code mlock} the region after committing it.
     * @return the committed arena.
     * @throws MemoryLockException when locking is asked for and the kernel refuses it; the memory is freed.
     * @throws IllegalArgumentException when {@code capacityBytes} is not positive.
     */
    public static Arena commit(final String name, final long capacityBytes, final boolean lock) {
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("arena '" + name + "': capacityBytes must be > 0: " + capacityBytes);
        }
        // Initialise Chronicle (a few hundred ms on first use) outside the timed commit.
        OS.memory();
        final long start = System.nanoTime();
        // Address space only: the huge-page hint must come before the first write, which then faults 2 MiB pages
        // in directly (afterwards the kernel would have to copy 4 KiB pages into them).
        final BytesStore<?, ?> store = BytesStore.lazyNativeBytesStoreWithFixedCapacity(capacityBytes);
        if (store instanceof SingleThreadedChecked) {
            // Built on the startup thread, closed perhaps by a shutdown hook.
            ((SingleThreadedChecked) store).singleThreadedCheckDisabled(true);
        }
        final boolean huge = MemoryLock.adviseHugePages(store.addressForRead(0), capacityBytes);
        // The zero-fill is what commits every page.
        OS.memory().setMemory(store.addressForRead(0), capacityBytes, (byte) 0);
        if (lock) {
            try {
                MemoryLock.lock(name, store.addressForRead(0), capacityBytes);
            } catch (final MemoryLockException e) {
                release(store);
                throw e;
            }
        }
        final long nanos = System.nanoTime() - start;
        final Arena arena = new Arena(name, capacityBytes, store, lock, nanos);
        if (LOG.isInfoEnabled()) {
            final String rate = String.format("%.2f", gibPerSecond(capacityBytes, nanos));
            LOG.info("arena '{}' committed {} bytes{}{} in {} ms ({} GiB/s)", name, capacityBytes,
                huge ? " (huge pages advised)" : "", lock ? " and locked" : "", nanos / 1_000_000, rate);
        }
        return arena;
    }

    /**
     * The commit rate of a region.
     *
     * @param bytes bytes committed.
     * @param nanos nanoseconds it took.
     * @return GiB per second.
     */
    public static double gibPerSecond(final long bytes, final long nanos) {
        return (bytes / (double) (1L << 30)) / (Math.max(nanos, 1) / 1e9);
    }

    /** @return the owner's name given at creation. */
    public String name() {
        return name;
    }

    /** @return the size of the region in bytes. */
    public long capacityBytes() {
        return capacityBytes;
    }

    /** @return bytes not yet carved out by {@link #reserve(long)} or {@link #carveBlocks(String, int, int)}. */
    public long remainingBytes() {
        return capacityBytes - nextOffset;
    }

    /** @return the Chronicle store over the whole region. */
    public BytesStore<?, ?> store() {
        return store;
    }

    /** @return the native address of offset 0; valid until {@link #close()}. */
    public long address() {
        return address;
    }

    /** @return {@code true} when the region is locked in RAM. */
    public boolean isLocked() {
        return locked;
    }

    /** @return nanoseconds that committing (and locking) the region took. */
    public long commitNanos() {
        return commitNanos;
    }

    /**
     * Reserve the next {@code lengthBytes} of the arena, starting at a multiple of
     * {@link #RESERVE_ALIGNMENT_BYTES}.
     *
     * @param lengthBytes bytes to reserve, not negative.
     * @return the offset of the reserved region within the arena.
     * @throws IllegalStateException when the arena has fewer bytes left, or is closed; a sizing bug.
     * @throws IllegalArgumentException when {@code lengthBytes} is negative.
     */
    public long reserve(final long lengthBytes) {
        checkOpen();
        if (lengthBytes < 0) {
            throw new IllegalArgumentException("arena '" + name + "': negative reservation " + lengthBytes);
        }
        final long offset = (nextOffset + RESERVE_ALIGNMENT_BYTES - 1) & -RESERVE_ALIGNMENT_BYTES;
        if (offset > capacityBytes || lengthBytes > capacityBytes - offset) {
            throw new IllegalStateException("arena '" + name + "' of " + capacityBytes + " bytes cannot reserve "
                + lengthBytes + " more bytes at offset " + offset + "; size it from the memory plan");
        }
        nextOffset = offset + lengthBytes;
        return offset;
    }

    /**
     * A direct {@link ByteBuffer} view over part of the arena, for NIO channel reads and writes.
     * <p>
     * The view aliases the native memory (no copy): bytes written through it are read by {@link #store()} at
     * {@code offset} onwards, and the other way round. It is big-endian, like every new buffer.
     *
     * @param offset      offset within the arena.
     * @param lengthBytes length of the view.
     * @return a new view with position 0 and limit {@code lengthBytes}; create views at startup only.
     * @throws IndexOutOfBoundsException when the range is not inside the arena.
     * @throws IllegalStateException when the arena is closed.
     */
    public ByteBuffer view(final long offset, final int lengthBytes) {
        checkOpen();
        if (offset < 0 || lengthBytes < 0 || offset > capacityBytes - lengthBytes) {
            throw new IndexOutOfBoundsException("arena '" + name + "' of " + capacityBytes + " bytes has no range "
                + offset + "+" + lengthBytes);
        }
        // Allocates: a pointer store and a direct ByteBuffer header (no memory of its own), at startup, once
        // per view. Chronicle points the buffer's address and capacity at the range; the pointer store does
        // not own the memory, so releasing it never frees the arena.
        final PointerBytesStore pointer = new PointerBytesStore();
        pointer.set(address + offset, lengthBytes);
        return pointer.toTemporaryDirectByteBuffer();
    }

    /**
     * Carve a pool of equal blocks out of the arena.
     *
     * @param poolName    name for logs and metrics.
     * @param blockLength bytes per block, greater than zero.
     * @param blockCount  number of blocks, from 1 to {@link BlockPool#MAX_BLOCK_COUNT}.
     * @return the pool, all blocks free, every block's view already created.
     * @throws IllegalArgumentException when a length or count is out of range.
     * @throws IllegalStateException when the arena has too few bytes left; a sizing bug.
     */
    public BlockPool carveBlocks(final String poolName, final int blockLength, final int blockCount) {
        BlockPool.checkShape(poolName, blockLength, blockCount);
        final long offset = reserve((long) blockLength * blockCount);
        return new BlockPool(this, poolName, offset, blockLength, blockCount);
    }

    /**
     * Release the region to the operating system; views over it must no longer be used. Unlocks it first
     * when it was locked. Calling it again does nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (locked) {
            if (!MemoryLock.unlock(address, capacityBytes)) {
                LOG.warn("arena '{}': munlock of {} bytes failed", name, capacityBytes);
            }
            locked = false;
        }
        release(store);
    }

    /** @return {@code true} once {@link #close()} has been called. */
    public boolean isClosed() {
        return closed;
    }

    private static void release(final BytesStore<?, ?> store) {
        store.releaseLast();
        // Chronicle frees native stores on a background thread; wait, so that close() means freed.
        BackgroundResourceReleaser.releasePendingResources();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("arena '" + name + "' is closed");
        }
    }
}
