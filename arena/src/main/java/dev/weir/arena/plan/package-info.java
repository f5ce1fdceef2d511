/**
 * The startup memory plan: every byte the process may use, computed from configuration before anything is
 * allocated, and the host's limits it is checked against.
 * <p>
 * {@link dev.weir.arena.plan.PlanItem} is one row, {@link dev.weir.arena.plan.MemoryPlan} the table and its
 * total, {@link dev.weir.arena.plan.HostMemory} the overcommit mode, cgroup limit and {@code MemAvailable}.
 * Nothing here allocates off-heap memory or touches an arena.
 */
package dev.weir.arena.plan;
