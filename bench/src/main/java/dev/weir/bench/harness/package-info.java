/**
 * The end-to-end comparison harness behind {@code bench/run}: starts the demo origin, Weir, nginx and HAProxy
 * as equivalent reverse proxies, measures them side by side and writes a table, JSON and a plot.
 * <pre>
 *   CPU 1: Compare (+ builtin load generator) | wrk, DemoOrigin
 *   CPU 0: the proxy under test, alone        (taskset)
 *
 *   for each group (one group, or one per sweep value):
 *     start targets -&gt; warm up -&gt; rounds: A B C D A B C D ... -&gt; stop targets
 *   Report: medians and spread over rounds, ratios, JSON + PNG in bench/results/
 * </pre>
 * Runs off the hot path: allocation here is fine; the measured processes are separate.
 */
package dev.weir.bench.harness;
