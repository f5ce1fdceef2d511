/**
 * The warm-up before "ready": exchanges of every shape through a small pipeline of the serving stages, between
 * clients and an origin of its own on {@code 127.0.0.1}, so the JIT compiles the stages' code before the first
 * client and with every path seen. Runs once, on its own threads, before the serving pipeline commits its arenas.
 * <pre>
 *   WarmClient x 4 --> Pipeline (warm-up configuration) --> WarmOrigin --> closed, arenas freed --> serving Pipeline
 * </pre>
 */
package dev.weir.warmup;
