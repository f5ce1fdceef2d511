package dev.weir.conn;

/**
 * Told of every exchange that ends: metrics count it, the access log records it. One instance per stage
 * thread, so each writes only its own counters and claims ring space as its thread's producer.
 * <p>
 * <b>Note:</b> called on a stage thread: an implementation must not allocate, block or wait.
 */
@FunctionalInterface
public interface ExchangeObserver {

    /** Observes nothing. */
    ExchangeObserver NONE = slot -> {
    };

    /**
     * The exchange ended: both halves are done and {@link ConnectionSlot#facts} is complete. Called before the
     * slot is kept for the next request, closed or reset; {@link ConnectionSlot#closeMode()} tells which
     * ({@link ConnectionSlot#CLOSE_RESET}: the response was cut short).
     *
     * @param slot the slot, whose request head is still parsed in {@code request.head} (its bytes may have been
     *             overwritten by the body).
     */
    void onExchangeEnd(ConnectionSlot slot);

    /** Makes the observer of each stage thread that can finish an exchange. */
    @FunctionalInterface
    interface PerThread {

        /** No observers. */
        PerThread NONE = (owner, thread) -> ExchangeObserver.NONE;

        /**
         * @param owner  the stage's {@code ConnectionState.OWNER_*} constant: parse, upstream or write.
         * @param thread the stage thread's index.
         * @return the observer of that thread, called on it alone.
         */
        ExchangeObserver create(int owner, int thread);
    }

    /**
     * @param next observer told after this one.
     * @return an observer telling both, in order.
     */
    default ExchangeObserver andThen(final ExchangeObserver next) {
        if (next == NONE) {
            return this;
        }
        if (this == NONE) {
            return next;
        }
        final ExchangeObserver first = this;
        return slot -> {
            first.onExchangeEnd(slot);
            next.onExchangeEnd(slot);
        };
    }
}
