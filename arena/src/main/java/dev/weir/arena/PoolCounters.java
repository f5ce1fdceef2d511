package dev.weir.arena;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Accounting for one pool: capacity, in use, high-water mark and failed acquisitions.
 * <p>
 * The mutators ({@link #onAcquire()}, {@link #onRelease()}, {@link #onFailedAcquire()}) are public so that
 * pools in other modules (the ring module's slot pool) can reuse this class, but only the owning pool calls
 * them, and only from its owner thread.
 * <p>
 * <b>Note:</b> single writer, any reader. The writer reads its own fields plainly and publishes each new
 * value with a release store ({@link VarHandle#setRelease}); readers load with acquire
 * ({@link VarHandle#getAcquire}), so a reader never sees a torn {@code long} and sees every counter at least
 * as fresh as the last one it read. The four values are not a consistent snapshot of one instant. Nothing
 * here allocates.
 */
public final class PoolCounters {

    private static final VarHandle IN_USE;
    private static final VarHandle HIGH_WATER_MARK;
    private static final VarHandle FAILED_ACQUISITIONS;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            IN_USE = lookup.findVarHandle(PoolCounters.class, "inUse", long.class);
            HIGH_WATER_MARK = lookup.findVarHandle(PoolCounters.class, "highWaterMark", long.class);
            FAILED_ACQUISITIONS = lookup.findVarHandle(PoolCounters.class, "failedAcquisitions", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long capacity;
    // Written only by the owner thread (plain read, release store); read by others with acquire loads.
    private long inUse;
    private long highWaterMark;
    private long failedAcquisitions;

    /**
     * Counters for a pool of a fixed size, all zero.
     *
     * @param capacity the pool's size in units (blocks, slots), not negative.
     * @throws IllegalArgumentException when {@code capacity} is negative.
     */
    public PoolCounters(final long capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative: " + capacity);
        }
        this.capacity = capacity;
    }

    /** @return the pool's capacity in units (blocks, slots); fixed, so a plain read. */
    public long capacity() {
        return capacity;
    }

    /** @return units in use now (acquire load). */
    public long inUse() {
        return (long) IN_USE.getAcquire(this);
    }

    /** @return the most units ever in use at once (acquire load). */
    public long highWaterMark() {
        return (long) HIGH_WATER_MARK.getAcquire(this);
    }

    /** @return acquisitions that found the pool empty (acquire load). */
    public long failedAcquisitions() {
        return (long) FAILED_ACQUISITIONS.getAcquire(this);
    }

    /**
     * Record one successful acquisition: in use plus one, and the high-water mark raised if passed.
     * <p>
     * <b>Note:</b> only the owning pool calls this, on its owner thread.
     */
    public void onAcquire() {
        final long now = inUse + 1;
        IN_USE.setRelease(this, now);
        if (now > highWaterMark) {
            HIGH_WATER_MARK.setRelease(this, now);
        }
    }

    /**
     * Record one release: in use minus one.
     * <p>
     * <b>Note:</b> only the owning pool calls this, on its owner thread, after it has checked the release.
     */
    public void onRelease() {
        IN_USE.setRelease(this, inUse - 1);
    }

    /**
     * Record one acquisition that found the pool empty.
     * <p>
     * <b>Note:</b> only the owning pool calls this, on its owner thread.
     */
    public void onFailedAcquire() {
        FAILED_ACQUISITIONS.setRelease(this, failedAcquisitions + 1);
    }
}
