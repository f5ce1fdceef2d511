/**
 * Hand-off between stages: {@link dev.weir.ring.StageRing} (a stage thread's preallocated Disruptor inbox),
 * {@link dev.weir.ring.WakeSignal} (wake a sleeping consumer once, not per event) and
 * {@link dev.weir.ring.SlotPool} (the connection table and its free list).
 */
package dev.weir.ring;
