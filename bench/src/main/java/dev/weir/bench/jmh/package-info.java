/**
 * JMH micro-benchmarks, built into {@code bench/target/benchmarks.jar}. Each {@code *Benchmark} sets fork,
 * warm-up and measurement explicitly; run hot-path ones with {@code -prof gc} to see allocation per operation.
 */
package dev.weir.bench.jmh;
