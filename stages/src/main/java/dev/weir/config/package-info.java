/**
 * Configuration: the key table ({@link dev.weir.config.ConfigKeys}), the YAML and command-line loader, one
 * validation pass ({@link dev.weir.config.WeirConfig.Builder#build()}), the stage sizes both the memory plan
 * and the pipeline use ({@link dev.weir.config.StageSizes}), the plan itself
 * ({@link dev.weir.config.PlanBuilder}), auto-sizing to a budget and the JVM flags derived from the plan.
 * <p>
 * Everything here runs before any memory is committed and allocates only on the startup thread.
 */
package dev.weir.config;
