package dev.weir.arena;

/**
 * Accounting for one pool: capacity, in use, high-water mark and failed acquisitions.
 * <p>
 * <b>Note:</b> written by the pool's single owner thread, read by any thread without allocating.
 */
public final class PoolCounters {

    /** @return the pool's capacity in units (blocks, slots). */
    public long capacity() {
        throw new UnsupportedOperationException();
    }

    /** @return units in use now. */
    public long inUse() {
        throw new UnsupportedOperationException();
    }

    /** @return the most units ever in use at once. */
    public long highWaterMark() {
        throw new UnsupportedOperationException();
    }

    /** @return acquisitions that found the pool empty. */
    public long failedAcquisitions() {
        throw new UnsupportedOperationException();
    }
}
