package dev.weir.ring;

/**
 * One preallocated ring entry: the index of the connection slot handed to the next stage.
 * <p>
 * The slot itself (the connection state machine) lives in the {@link SlotPool}; the event carries only its
 * index, so a hand-off writes one int and allocates nothing.
 * <p>
 * <b>Note:</b> written by the publishing thread before publication, read by the consumer after it; the
 * ring's sequence gives the happens-before edge.
 */
public final class HandoffEvent {

    /** No slot: the value of an entry never published. */
    public static final int NO_SLOT = -1;

    private int slot = NO_SLOT;

    /** @return the slot index carried. */
    public int slot() {
        return slot;
    }

    /** @param slot the slot index to carry. */
    public void slot(final int slot) {
        this.slot = slot;
    }
}
