/**
 * The bundled HTTP/1.1 load generator: keep-alive connections on NIO threads, closed-loop or fixed-rate with
 * coordinated-omission correction, latency recorded in HdrHistogram, every response's status and body length
 * checked.
 * <pre>
 *   LoadGenerator.run(LoadOptions) --&gt; LoadThread x threads --&gt; ClientConnection x (connections / threads)
 *                                  &lt;-- LoadResult (merged histograms and counters)
 * </pre>
 * It only targets loopback addresses and always stops at a deadline.
 */
package dev.weir.bench.load;
