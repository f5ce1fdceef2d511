/**
 * Committed memory: {@link dev.weir.arena.Arena} (one region per stage, every page written at creation),
 * {@link dev.weir.arena.BlockPool} (fixed blocks carved from it, handed out by int handle),
 * their {@link dev.weir.arena.PoolCounters}, {@link dev.weir.arena.MemoryLock} ({@code mlockall} for the process;
 * {@code mlock}, {@code munlock}, {@code madvise} for a region), {@link dev.weir.arena.ProcessStatus} (resident set,
 * address space, capabilities and allowed CPUs from {@code /proc/self/status}) and
 * {@link dev.weir.arena.CpuAffinity} (pinning the calling thread).
 */
package dev.weir.arena;
