/**
 * Committed memory: {@link dev.weir.arena.Arena} (one region per stage, every page written at creation),
 * {@link dev.weir.arena.BlockPool} (fixed blocks carved from it) and their {@link dev.weir.arena.PoolCounters}.
 */
package dev.weir.arena;
