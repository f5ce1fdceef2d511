package dev.weir.stage;

import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ConnectionState;
import dev.weir.ring.SlotPool;

/**
 * What one stage thread publishes, for the metrics: its counters, inbox depth, wakeups paid to end its sleeps,
 * and the connection halves it holds.
 * <p>
 * <b>Note:</b> every method may be called from any thread and reads what the stage thread published; none
 * waits for the stage, and none allocates.
 */
public final class StageView {

    private final SelectorStage stage;
    private final String name;
    private final String threadName;
    private final int owner;
    private final int thread;
    private final int threads;
    private final SlotPool<ConnectionSlot> slots;

    /**
     * @param threadName the thread that runs the stage: its own, or the fused thread that runs it with another.
     */
    StageView(final SelectorStage stage, final String name, final String threadName, final int owner,
        final int thread, final int threads, final SlotPool<ConnectionSlot> slots) {
        this.stage = stage;
        this.name = name;
        this.threadName = threadName;
        this.owner = owner;
        this.thread = thread;
        this.threads = threads;
        this.slots = slots;
    }

    /** @return the stage: {@code accept}, {@code parse}, {@code upstream} or {@code write}. */
    public String stage() {
        return name;
    }

    /**
     * @return the name of the thread that runs the stage, e.g. {@code weir-parse-0}; {@code weir-fused-0} for
     *     both stages a fused thread runs (the {@code stage} label tells them apart).
     */
    public String thread() {
        return threadName;
    }

    /** @return the stage's counters. */
    public StageCounters counters() {
        return stage.counters();
    }

    /** @return entries waiting in the stage's inbox ring now; 0 for the accept stage, which has none. */
    public long ringDepth() {
        return stage.inbox == null ? 0 : Math.max(0, stage.inbox.pending());
    }

    /** @return selector wakeups producers paid to end this stage's sleeps. */
    public long wakeups() {
        return stage.wake.wakeups();
    }

    /**
     * Count the connection halves whose state this stage thread owns. Reads each slot's states without
     * synchronisation (a plain {@code int} each, never torn): a gauge that may lag by the hand-offs of the
     * moment. Walks the slot table, so it costs one pass over {@code connections} slots on the caller's thread.
     *
     * @return halves held now; always 0 for the accept stage, which hands every slot on at once.
     */
    public int halvesHeld() {
        if (owner == ConnectionState.OWNER_NONE) {
            return 0;
        }
        int held = 0;
        for (int i = thread; i < slots.capacity(); i += threads) {
            final ConnectionSlot slot = slots.slot(i);
            if (ConnectionState.owner(slot.request.state) == owner) {
                held++;
            }
            if (ConnectionState.owner(slot.response.state) == owner) {
                held++;
            }
        }
        return held;
    }
}
