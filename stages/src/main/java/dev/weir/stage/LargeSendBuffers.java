package dev.weir.stage;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The grants of grown client send buffers: at most {@code socket.large-response-buffer-count} client sockets
 * have {@code SO_SNDBUF} {@code socket.large-response-buffer} at once, which is what the plan's "large send
 * buffers" row pays for. The kernel takes no memory when a buffer is grown, only as bytes queue, so a grant is
 * a count, not a region: taken when a response of known length fills a client's planned buffer, and given back
 * once the socket is shrunk and its queue is back within the planned size, or once it is reset (which drops
 * the queue). When every grant is out the response streams through the planned buffer, as it would without.
 * <p>
 * <b>Note:</b> taken by write threads; given back by a write thread or by whichever stage thread resets the
 * connection, so the counts are atomics. Nothing here allocates.
 */
public final class LargeSendBuffers {

    private final int capacity;
    private final int grownBytes;
    private final int plannedBytes;
    private final AtomicInteger inUse = new AtomicInteger();
    private final AtomicInteger highWaterMark = new AtomicInteger();
    private final AtomicLong failedAcquisitions = new AtomicLong();
    private final AtomicLong taken = new AtomicLong();

    /**
     * @param capacity     grants; 0 turns growing off.
     * @param grownBytes   {@code socket.large-response-buffer}.
     * @param plannedBytes {@code socket.response-buffer}, what a client socket's {@code SO_SNDBUF} goes back to.
     */
    LargeSendBuffers(final int capacity, final int grownBytes, final int plannedBytes) {
        this.capacity = capacity;
        this.grownBytes = grownBytes;
        this.plannedBytes = plannedBytes;
    }

    /** @return {@code true} with a grant taken; {@code false}, counted, when all are out or growing is off. */
    boolean tryTake() {
        if (capacity == 0) {
            return false;
        }
        int now = inUse.get();
        while (true) {
            if (now >= capacity) {
                failedAcquisitions.incrementAndGet();
                return false;
            }
            final int witness = inUse.compareAndExchange(now, now + 1);
            if (witness == now) {
                break;
            }
            now = witness;
        }
        final int out = now + 1;
        int high = highWaterMark.get();
        while (out > high) {
            final int witness = highWaterMark.compareAndExchange(high, out);
            if (witness == high) {
                break;
            }
            high = witness;
        }
        taken.incrementAndGet();
        return true;
    }

    /** Give a grant back. */
    void give() {
        inUse.decrementAndGet();
    }

    /** @return {@code SO_SNDBUF} of a grown socket. */
    int grownBytes() {
        return grownBytes;
    }

    /** @return {@code SO_SNDBUF} of every other client socket. */
    int plannedBytes() {
        return plannedBytes;
    }

    /** @return grants in all. */
    public int capacity() {
        return capacity;
    }

    /** @return grants out now. */
    public int inUse() {
        return inUse.get();
    }

    /** @return the most grants out at once since start. */
    public int highWaterMark() {
        return highWaterMark.get();
    }

    /** @return grants taken since start. */
    public long taken() {
        return taken.get();
    }

    /** @return takes that found every grant out. */
    public long failedAcquisitions() {
        return failedAcquisitions.get();
    }
}
