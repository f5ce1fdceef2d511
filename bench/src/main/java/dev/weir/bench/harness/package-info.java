/**
 * The end-to-end comparison harness behind {@code bench/run}: starts the demo origin, Weir, nginx and HAProxy
 * as equivalent reverse proxies, measures them side by side and writes a table, JSON and a plot.
 * <pre>
 *   CPU 1: Compare (+ builtin load generator) | wrk, DemoOrigin
 *   CPU 0: the proxy under test, alone        (taskset)
 *
 *   for each group (one group, or one per sweep value):
 *     start targets -&gt; warm up -&gt; rounds: (A B C D per scenario) ... -&gt; stop targets
 *   Report: medians and spread over rounds, ratios by scenario, JSON + PNG in bench/results/
 *
 *   --overload: start targets -&gt; for 10, 50, ... 10000 connections: A B C (warm-up, window) -&gt; stop
 *   Overload: good/s, non-2xx/s, socket errors, p99, CPU, Weir's refusals and memory vs its plan
 *
 *   --cores 2: nothing pinned, two threads per proxy (and weir-reuseport), wrk -t2, origin 2 threads
 * </pre>
 * Runs off the hot path: allocation here is fine; the measured processes are separate.
 */
package dev.weir.bench.harness;
