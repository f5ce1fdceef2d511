/**
 * Origins: {@link dev.weir.upstream.Upstreams} (every group and server, built at startup), the shared
 * {@link dev.weir.upstream.UpstreamServer} (health and striped counters) and {@link dev.weir.upstream.UpstreamGroup},
 * the compiled {@link dev.weir.upstream.RouteTable}, the per-thread {@link dev.weir.upstream.Balancer},
 * {@link dev.weir.upstream.HealthChecker} (active checks on one upstream thread), and the origin connections:
 * {@link dev.weir.upstream.UpstreamConnection} (permanent objects whose sockets are opened on demand, each for one
 * server at a time) and the per-thread {@link dev.weir.upstream.UpstreamPool} with its idle lists per server and
 * its wait queue.
 */
package dev.weir.upstream;
