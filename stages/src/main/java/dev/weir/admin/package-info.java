/**
 * The admin listener: {@code /metrics} in the Prometheus text format, {@code /health} and {@code /plan}, served on
 * its own thread from what the stages publish; no stage ever waits for it.
 */
package dev.weir.admin;
