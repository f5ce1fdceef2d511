package dev.weir.ring;

import java.util.concurrent.atomic.AtomicIntegerArray;

import com.lmax.disruptor.EventPoller;

import dev.weir.arena.PoolCounters;

/**
 * The connection table: a fixed array of slots built at startup, with a free list.
 * <p>
 * One thread (the accept stage) acquires slots; any stage thread releases them. Releases travel back through a
 * {@link StageRing} (multi-producer, sized to the table, so it cannot fill) and are taken into the owner's free
 * stack when the owner next drains, which keeps acquire lock-free and allocation-free. Each returned slot is
 * announced to a {@link ReturnListener} on the owner thread, where its per-connection resources are released.
 * <p>
 * <b>Note:</b> {@link #tryAcquire()} and {@link #drainReturns()} on the owner thread only; {@link #release(int)}
 * from any thread; the counters from any thread.
 *
 * @param <S> the slot type.
 */
public final class SlotPool<S> {

    /** Returned by {@link #tryAcquire()} when every slot is in use. */
    public static final int NO_SLOT = -1;

    /** Returned by {@link #tryAcquire(SlotFilter)} when slots are free but the filter accepts none of them. */
    public static final int NO_MATCH = -3;

    /** Returned by {@link #release(int)} for a slot that is not handed out: a double release, a bug. */
    public static final int NOT_ACQUIRED = -2;

    /**
     * Told on the owner thread about each slot that has come back, before it is reused.
     */
    @FunctionalInterface
    public interface ReturnListener {
        /** @param slot the index of the returned slot. */
        void onSlotReturned(int slot);
    }

    /**
     * Decides, on the owner thread, whether a free slot may be handed out now.
     */
    public interface SlotFilter {
        /**
         * @param slot the index of a free slot.
         * @return {@code true} when it may be handed out.
         */
        boolean accepts(int slot);
    }

    private final Object[] slots;
    private final int[] freeStack;
    private int freeCount;
    private final StageRing returns;
    private final ReturnListener listener;
    private final EventPoller.Handler<HandoffEvent> onReturn = this::onReturn;

    private final PoolCounters counters;
    /** 1 while a slot is handed out: set by the owner on acquire, cleared once by the releasing thread. */
    private final AtomicIntegerArray acquired;

    /**
     * Build every slot now.
     *
     * @param capacity   number of slots.
     * @param ringSize   entries of the return ring, a power of two at least {@code capacity}.
     * @param factory    creates each slot.
     * @param ownerWake  the owner thread's wake signal, so releases can wake it.
     * @param listener   told about each returned slot on the owner thread.
     */
    public SlotPool(final int capacity, final int ringSize, final SlotFactory<S> factory, final WakeSignal ownerWake,
        final ReturnListener listener) {
        if (capacity <= 0 || ringSize < capacity) {
            throw new IllegalArgumentException("slots " + capacity + " need a return ring of at least as many entries,"
                + " was " + ringSize);
        }
        this.slots = new Object[capacity];
        this.freeStack = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            slots[i] = factory.create(i);
            // Lowest index on top: a lightly loaded proxy reuses a few hot slots.
            freeStack[i] = capacity - 1 - i;
        }
        this.freeCount = capacity;
        this.counters = new PoolCounters(capacity);
        this.acquired = new AtomicIntegerArray(capacity);
        this.returns = new StageRing("slot-returns", ringSize, ownerWake);
        this.listener = listener;
    }

    /**
     * @param index a slot index.
     * @return the slot at that index.
     */
    @SuppressWarnings("unchecked")
    public S slot(final int index) {
        return (S) slots[index];
    }

    /** @return the number of slots. */
    public int capacity() {
        return slots.length;
    }

    /**
     * Owner thread: take a free slot, first taking back any released ones.
     *
     * @return the slot index, or {@link #NO_SLOT} when every slot is in use (counted).
     */
    public int tryAcquire() {
        if (freeCount == 0) {
            drainReturns();
            if (freeCount == 0) {
                counters.onFailedAcquire();
                return NO_SLOT;
            }
        }
        counters.onAcquire();
        final int slot = freeStack[--freeCount];
        acquired.set(slot, 1);
        return slot;
    }

    /**
     * Owner thread: take the free slot nearest the top of the free stack that the filter accepts, first taking back
     * any released ones. The stack is walked from the top until one is accepted, so the usual case (the top slot
     * accepted) costs one call; the free slots keep their order.
     *
     * @param filter decides which free slots may be handed out.
     * @return the slot index, {@link #NO_SLOT} when every slot is in use (counted), or {@link #NO_MATCH} when the
     *     filter accepts no free slot (not counted: the pool is not exhausted).
     */
    public int tryAcquire(final SlotFilter filter) {
        if (freeCount == 0) {
            drainReturns();
            if (freeCount == 0) {
                counters.onFailedAcquire();
                return NO_SLOT;
            }
        }
        final int top = freeCount - 1;
        for (int i = top; i >= 0; i--) {
            final int slot = freeStack[i];
            if (filter.accepts(slot)) {
                // Close the gap over no more entries than were just walked: the passed-over slots stay on top.
                System.arraycopy(freeStack, i + 1, freeStack, i, top - i);
                freeCount = top;
                counters.onAcquire();
                acquired.set(slot, 1);
                return slot;
            }
        }
        return NO_MATCH;
    }

    /**
     * Owner thread: whether {@link #tryAcquire()} would find a slot now, first taking back any released ones.
     * Counts nothing: asking is not a failed acquisition.
     *
     * @return {@code true} when a slot is free.
     */
    public boolean hasFree() {
        if (freeCount == 0) {
            drainReturns();
        }
        return freeCount > 0;
    }

    /**
     * Any thread: give a slot back. The owner takes it into its free list on its next drain.
     *
     * @param slot the index of a slot acquired from this pool and no longer used by the caller.
     * @return {@link StageRing#OFFERED}, or {@link #NOT_ACQUIRED} when the slot is not handed out (released
     *         twice, or never acquired: a bug, refused so the slot is never handed out twice).
     */
    public int release(final int slot) {
        // One CAS per connection, not per request: it turns a double release into a refused call.
        if (!acquired.compareAndSet(slot, 1, 0)) {
            return NOT_ACQUIRED;
        }
        return returns.offer(slot);
    }

    /**
     * Owner thread: take back released slots, telling the listener about each.
     *
     * @return {@code true} when at least one slot came back.
     */
    public boolean drainReturns() {
        try {
            return returns.poll(onReturn);
        } catch (final RuntimeException ex) {
            throw ex;
        } catch (final Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** @return {@code true} when released slots wait to be drained. */
    public boolean hasReturns() {
        return returns.hasPending();
    }

    private boolean onReturn(final HandoffEvent event, final long sequence, final boolean endOfBatch) {
        final int slot = event.slot();
        if (freeCount == freeStack.length) {
            throw new IllegalStateException("slot " + slot + " released while every slot is free");
        }
        listener.onSlotReturned(slot);
        freeStack[freeCount++] = slot;
        counters.onRelease();
        return true;
    }

    /** @return slots in use, counting released slots not yet drained as in use. */
    public int inUse() {
        return (int) counters.inUse();
    }

    /** @return slots free now, counting released slots not yet drained as free. */
    public int available() {
        return (int) Math.min(slots.length, slots.length - counters.inUse() + returns.pending());
    }

    /** @return the most slots ever in use at once. */
    public int highWaterMark() {
        return (int) counters.highWaterMark();
    }

    /** @return acquisitions that found every slot in use. */
    public long failedAcquisitions() {
        return counters.failedAcquisitions();
    }

    /** @return capacity, in use, high-water mark and failed acquisitions, readable from any thread. */
    public PoolCounters counters() {
        return counters;
    }
}
