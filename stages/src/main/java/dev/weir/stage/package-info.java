/**
 * The pipeline: four stages, each an agent on its own thread(s), joined by preallocated Disruptor rings that
 * carry connection-slot indices.
 * <pre>
 *   clients                                                                    origin
 *      |                                                                          ^
 *      v                                                                          |
 *  +--------+  parse ring  +-------+  upstream ring  +----------+               |
 *  | accept | -----------> | parse | --------------> | upstream | <-------------+
 *  +--------+              +-------+  <-- body part  +----------+
 *      ^  slot returns        ^  ^                      |   ^
 *      |                      |  |  keep-alive           |   | next response part
 *      |                      |  +--------------+        v   |
 *      |                      |                 |    write ring
 *      |                      |                 |        |   |
 *      |                      |              +-------+ <-+   |
 *      +----------------------+------------- | write | ------+
 *                closed slots                +-------+
 * </pre>
 * A slot is owned by exactly one stage at a time; every hand-off is one int published on the next stage's
 * inbox ring. Rings are sized to the slot count, so a publish never finds a ring full. Bodies move one block at
 * a time: the upstream stage refills a response block only after the client took its part (written through by
 * the upstream stage, or the rest drained by the write stage when the client was full), and the next
 * request-body part is read only after the upstream stage has sent the last one (by the upstream stage itself
 * when the client has sent it already, else by the parse stage once it arrives). That
 * ping-pong is the backpressure that keeps memory fixed however slow either side is.
 */
package dev.weir.stage;
