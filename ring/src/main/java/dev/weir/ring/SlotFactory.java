package dev.weir.ring;

/**
 * Creates the slot at one index of a {@link SlotPool}; called only while the pool is built.
 *
 * @param <S> the slot type.
 */
@FunctionalInterface
public interface SlotFactory<S> {

    /**
     * @param index the slot's index, fixed for life.
     * @return the new slot.
     */
    S create(int index);
}
