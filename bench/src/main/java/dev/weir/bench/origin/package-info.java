/**
 * The bundled demo origin: a small, fast HTTP/1.1 server on {@code java.nio} used by tests, demos and benchmarks.
 * <pre>
 *   accept (worker 0) --round robin--&gt; worker 0..n-1: one Selector each, one thread each
 *                                        |
 *                                        +-- OriginConnection: HEAD, BODY, [DELAY], RESPOND, then HEAD or CLOSING
 *                                                            after a 101 to GET /ws: WS_FRAME, WS_PAYLOAD (echo)
 * </pre>
 * Routes are listed in {@link dev.weir.bench.origin.DemoOrigin}.
 */
package dev.weir.bench.origin;
