package dev.weir.ring;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;

/**
 * The inbox of one stage thread: a preallocated multi-producer Disruptor ring of {@link HandoffEvent}s polled
 * without blocking by its single consumer.
 * <p>
 * Sized to a power of two at least the number of connection slots: a slot is in at most one ring at a time,
 * so {@link #offer(int)} cannot find the ring full and stages can never deadlock on each other. The return
 * code exists for the bug that would break that invariant.
 * <p>
 * <b>Note:</b> {@link #offer(int)} is safe from any thread; {@link #poll(EventPoller.Handler)} is for the
 * consumer thread only.
 */
public final class StageRing {

    /** {@link #offer(int)}: published. */
    public static final int OFFERED = 0;
    /** {@link #offer(int)}: the ring was full, which the slot invariant rules out; a bug. */
    public static final int RING_FULL = -1;

    private final String name;
    private final RingBuffer<HandoffEvent> ring;
    private final EventPoller<HandoffEvent> poller;
    private final Sequence consumed;
    private final WakeSignal consumerWake;

    /**
     * @param name         for logs, e.g. {@code "parse-0"}.
     * @param size         entries, a power of two.
     * @param consumerWake the consumer's wake signal.
     */
    public StageRing(final String name, final int size, final WakeSignal consumerWake) {
        if (size <= 0 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException(name + ": ring size must be a power of two, was " + size);
        }
        this.name = name;
        this.ring = RingBuffer.createMultiProducer(HandoffEvent::new, size);
        this.poller = ring.newPoller();
        this.consumed = poller.getSequence();
        ring.addGatingSequences(consumed);
        this.consumerWake = consumerWake;
    }

    /**
     * Hand a slot to this ring's consumer and wake it if it sleeps.
     *
     * @param slot the slot index.
     * @return {@link #OFFERED}, or {@link #RING_FULL} when the sizing invariant was broken.
     */
    public int offer(final int slot) {
        final int result = offerWithoutWake(slot);
        if (result == OFFERED) {
            consumerWake.signal();
        }
        return result;
    }

    /**
     * Hand a slot to this ring's consumer without waking it: for a hand-off the consumer will be woken for
     * anyway (its socket's readiness), or one followed by {@link #wakeConsumer()} once the producer knows.
     * A consumer that is not asleep still sees the slot on its next turn.
     * <p>
     * <b>Note:</b> the claim is a full fence (a CAS on the cursor), so a volatile read after this call is
     * ordered after the publish: the Dekker pair a producer needs to decide on a late {@link #wakeConsumer()}.
     *
     * @param slot the slot index.
     * @return {@link #OFFERED}, or {@link #RING_FULL} when the sizing invariant was broken.
     */
    public int offerWithoutWake(final int slot) {
        final long sequence;
        try {
            sequence = ring.tryNext();
        } catch (final InsufficientCapacityException ex) {
            // Disruptor throws a preallocated instance without a stack trace: no garbage here.
            return RING_FULL;
        }
        ring.get(sequence).slot(slot);
        ring.publish(sequence);
        return OFFERED;
    }

    /** Wake the consumer if it sleeps or is about to; after {@link #offerWithoutWake(int)}. */
    public void wakeConsumer() {
        consumerWake.signal();
    }

    /**
     * Consumer: hand every available event to {@code handler}.
     *
     * @param handler called once per event; a field of the stage, never a capturing lambda.
     * @return {@code true} when at least one event was handled.
     * @throws Exception what the handler throws.
     */
    public boolean poll(final EventPoller.Handler<HandoffEvent> handler) throws Exception {
        return poller.poll(handler) == EventPoller.PollState.PROCESSING;
    }

    /** @return {@code true} when events wait for the consumer. */
    public boolean hasPending() {
        return ring.getCursor() > consumed.get();
    }

    /** @return entries waiting now (approximate while producers publish). */
    public long pending() {
        return ring.getCursor() - consumed.get();
    }

    /** @return the ring's capacity. */
    public int capacity() {
        return ring.getBufferSize();
    }

    /** @return the ring's name. */
    public String name() {
        return name;
    }
}
