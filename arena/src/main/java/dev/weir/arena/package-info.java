/**
 * Committed memory: {@link dev.weir.arena.Arena} (one region per stage, every page written at creation),
 * {@link dev.weir.arena.BlockPool} (fixed blocks carved from it, handed out by int handle),
 * their {@link dev.weir.arena.PoolCounters}, and {@link dev.weir.arena.MemoryLock} ({@code mlock},
 * {@code munlock}, {@code madvise} for a region).
 */
package dev.weir.arena;
