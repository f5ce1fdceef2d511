package dev.weir.stage;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

import dev.weir.conn.ConnectionSlot;

/**
 * One thread running a parse stage and the upstream stage of the same index over one shared {@link Selector}
 * ({@code fuse-parse-upstream}): a request then reaches its origin without a thread switch between the two.
 * <p>
 * Both stages keep their inbox rings, gates, timers, counters and wake signals; only the loop is shared. A turn
 * runs parse's deadlines, inbox and other work, then upstream's (so it takes what parse just handed it), then one
 * select whose ready keys go to the stage that registered them: client sockets and parse's wake pipe to parse,
 * origin sockets, health probes and upstream's wake pipe to upstream. The heads parse reads in that select are
 * taken by upstream in the same turn. Idle, the thread sleeps once in the shared selector with both wake signals
 * raised, so a producer of either inbox ends the sleep; a parse to upstream hand-off on this thread finds
 * upstream's signal down (the thread is awake) and writes no wake pipe.
 * <p>
 * <b>Note:</b> everything but {@link #wakeUp()} runs on the fused thread; the two stages must be built over
 * {@code selector}, and parse's index must equal upstream's so a slot's two stages share the thread.
 */
final class FusedStage implements Stage {

    private final ParseStage parse;
    private final UpstreamStage upstream;
    private final Selector selector;
    private final String roleName;
    private final int idleYields;
    /** The pipeline's count of working stage threads (its runner counts this one). */
    private final WorkingThreads working;
    private final Consumer<SelectionKey> onReadyKey = this::onReadyKey;
    private final Consumer<SelectionKey> onReadyKeyAfterSleep = this::onReadyKeyAfterSleep;
    /** {@code true} from raising the wake signals until the first ready key after the sleep lowers them. */
    private boolean signalsUp;

    /**
     * @param id         the thread index, parse's and upstream's.
     * @param parse      the parse stage, built over {@code selector}.
     * @param upstream   the upstream stage, built over {@code selector}.
     * @param selector   the selector both stages register with.
     * @param idleYields times to yield before sleeping ({@code idle-yields}).
     * @param working    the pipeline's count of working stage threads.
     */
    FusedStage(final int id, final ParseStage parse, final UpstreamStage upstream, final Selector selector,
        final int idleYields, final WorkingThreads working) {
        this.parse = parse;
        this.upstream = upstream;
        this.selector = selector;
        this.roleName = threadName(id);
        this.idleYields = idleYields;
        this.working = working;
    }

    /**
     * @param id the thread index.
     * @return the name of fused thread {@code id}.
     */
    static String threadName(final int id) {
        // Short: the kernel keeps 15 bytes of a thread's name (top -H, /proc/PID/task/TID/comm).
        return "weir-fused-" + id;
    }

    @Override
    public int doWork() throws Exception {
        int work = parse.beginTurn() + parse.doOtherWork();
        // After parse: what parse's deadlines and inbox handed upstream is taken in this turn.
        work += upstream.beginTurn() + upstream.doOtherWork();
        work += selector.selectNow(onReadyKey);
        // The heads parse read in the select go to their origins now, not a turn (and a select) later. Not counted
        // as work, like any hand-off drained after the select: the origin's answer wakes the selector anyway.
        upstream.drainInbox();
        // Only parse lets a ready key pass (a client's, while another stage holds its request half).
        return work - parse.readyLetPassThisTurn();
    }

    @Override
    public void idle() throws IOException {
        // As SelectorStage.idle(), for both stages: yields only while they can bring work, then one sleep.
        // A readiness let pass is for a slot another stage holds: the write thread needs the core for it; when it is
        // upstream on this very thread the yields are spent for nothing, a rare case (a client sending early).
        final boolean owed = parse.readyLetPassThisTurn() > 0;
        for (int i = 0; i < idleYields && (owed || working.anyWorking()); i++) {
            Thread.yield();
            // Counted once, on parse: the thread's one yield serves both stages.
            parse.counters.increment(StageCounters.IDLE_YIELDS);
            if (hasPendingWork()) {
                return;
            }
        }
        // Both signals up before the last check: a producer to either inbox then either sees its flag and
        // writes its pipe, which ends the shared select, or published before the check below saw it.
        parse.wake.prepareToSleep();
        upstream.wake.prepareToSleep();
        signalsUp = true;
        try {
            if (!hasPendingWork()) {
                final long timeoutMs = parse.timers.scheduled() > 0 || upstream.timers.scheduled() > 0
                    ? SelectorStage.DEFAULT_TIMER_SELECT_TIMEOUT_MS
                    : Math.min(parse.idleSelectTimeoutMs(), upstream.idleSelectTimeoutMs());
                selector.select(onReadyKeyAfterSleep, timeoutMs);
            }
        } finally {
            lowerSignals();
        }
    }

    private boolean hasPendingWork() {
        return parse.hasPendingWork() || upstream.hasPendingWork();
    }

    @Override
    public void wakeUp() {
        selector.wakeup();
    }

    @Override
    public void onClose() {
        // Each closes its wake pipe; the shared selector is closed by the first and the second close is a no-op.
        parse.onClose();
        upstream.onClose();
    }

    @Override
    public String roleName() {
        return roleName;
    }

    /** @return the parse stage this thread runs. */
    ParseStage parse() {
        return parse;
    }

    /** @return the upstream stage this thread runs. */
    UpstreamStage upstream() {
        return upstream;
    }

    private void onReadyKey(final SelectionKey key) {
        owner(key).onSharedReadyKey(key);
    }

    private void onReadyKeyAfterSleep(final SelectionKey key) {
        // Awake before handling the key: a head parse reads here is handed to upstream, which must not find its
        // signal up and pay a wake pipe write (and one more select) to reach this very thread. Both stages' clocks
        // and heartbeats too: with the signals down, a gate reads the heartbeat, which must not be the sleep's.
        lowerSignals();
        parse.wokeUp();
        upstream.wokeUp();
        owner(key).onSharedReadyKey(key);
    }

    private void lowerSignals() {
        if (signalsUp) {
            signalsUp = false;
            parse.wake.awake();
            upstream.wake.awake();
        }
    }

    /** Parse registers client sockets (attached to their slot) and its wake pipe; everything else is upstream's. */
    private SelectorStage owner(final SelectionKey key) {
        final Object attachment = key.attachment();
        return attachment instanceof ConnectionSlot || attachment == parse.wake ? parse : upstream;
    }
}
