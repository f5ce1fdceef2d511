/**
 * Origin connections: {@link dev.weir.upstream.UpstreamConnection} (permanent objects whose sockets are opened
 * on demand) and the per-thread {@link dev.weir.upstream.UpstreamPool} with its wait queue.
 */
package dev.weir.upstream;
