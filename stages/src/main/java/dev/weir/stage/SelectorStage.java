package dev.weir.stage;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

import com.lmax.disruptor.EventPoller;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.weir.config.ConfigKeys;
import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ConnectionState;
import dev.weir.conn.PaceWindow;
import dev.weir.conn.TimeoutKind;
import dev.weir.ring.HandoffEvent;
import dev.weir.ring.StageRing;
import dev.weir.ring.WakeSignal;
import dev.weir.timer.TimerWheel;
import dev.weir.upstream.UpstreamConnection;

/**
 * A stage that owns one {@link Selector} and one inbox {@link StageRing}: each turn it drains the inbox, then
 * the ready keys, without blocking; when idle it sleeps in the selector until a producer or a socket wakes it.
 * <p>
 * Callbacks are fields bound once, so a turn allocates nothing: {@code selectNow(Consumer)} walks ready keys
 * without the selected-key set's iterator.
 * <p>
 * <b>Note:</b> everything but {@link #wakeUp()} runs on the stage thread.
 */
abstract class SelectorStage implements Stage {

    /** Longest sleep in the selector, so cancelled keys of closed sockets are flushed promptly. */
    static final long DEFAULT_IDLE_SELECT_TIMEOUT_MS = 100;
    /** Longest sleep while deadlines are pending, so they fire at most this late. */
    static final long DEFAULT_TIMER_SELECT_TIMEOUT_MS = 20;
    /** Timer wheel resolution. */
    static final long DEFAULT_TICK_NS = 10_000_000L;
    /** Timer wheel buckets: one revolution is about 10 s; later deadlines wait in their bucket. */
    static final int DEFAULT_TICKS_PER_WHEEL = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(SelectorStage.class);

    protected final String roleName;
    protected final Selector selector;
    protected final WakeSignal wake;
    protected final StageRing inbox;
    protected final StageCounters counters;
    /** Deadlines of the slots this stage waits for, keyed by slot index. */
    protected final TimerWheel timers;
    /** {@link System#nanoTime()} at the start of the current turn. */
    protected long nowNs;
    /**
     * The admission gate in front of this stage thread: told of each turn and sleep (its heartbeat); the stage
     * tells it how long what it takes waited. One that never closes unless the pipeline sets another.
     */
    protected AdmissionGate gate;
    private final Consumer<SelectionKey> onReadyKey = this::onReadyKey;
    private final Consumer<SelectionKey> onReadyKeyAfterSleep = this::onReadyKeyAfterSleep;
    private final TimerWheel.ExpiryHandler onExpiry = this::onTimerExpiry;
    private final EventPoller.Handler<HandoffEvent> onInboxEvent = this::onInboxEvent;
    /**
     * Times an idle stage yields its core while another stage thread works, checking its inbox after each,
     * before it sleeps in its selector ({@code idle-yields}). Stages usually share cores, so a producer often
     * publishes while the consumer is yielding and then pays no wakeup; a stage alone on its core spends a few
     * cheap {@code sched_yield} calls.
     * Set by the pipeline before the stage thread starts.
     */
    private int idleYields = ConfigKeys.DEFAULT_IDLE_YIELDS;
    /** The pipeline's count of working stage threads (its runner counts this one); its own until shared. */
    private WorkingThreads working = new WorkingThreads();
    /** Longest idle sleep; only tests change it, to prove a stage is woken rather than timed out. */
    private volatile long idleSelectTimeoutMs = DEFAULT_IDLE_SELECT_TIMEOUT_MS;
    private int eventsThisTurn;
    /** Ready keys this turn that {@link #onReady} let pass for now: they are no work, so they do not delay idling. */
    private int readyLetPassThisTurn;

    SelectorStage(final String roleName, final Selector selector, final WakeSignal wake, final StageRing inbox,
        final int slotCount) {
        this.roleName = roleName;
        this.selector = selector;
        this.wake = wake;
        this.inbox = inbox;
        this.counters = new StageCounters();
        this.timers = new TimerWheel(slotCount, DEFAULT_TICK_NS, DEFAULT_TICKS_PER_WHEEL);
        this.gate = new AdmissionGate(0, wake);
    }

    @Override
    public int doWork() throws Exception {
        // Hand-offs a ready key drains from the inbox during the select (the parse stage's onReady does) are not
        // counted: counting them kept the parse thread turning instead of yielding its shared core, 0.91x req/s
        // at GET 128 B side by side (compare-20261201-014837).
        final int work = beginTurn() + doOtherWork() + selector.selectNow(onReadyKey);
        return work - readyLetPassThisTurn;
    }

    /**
     * The first part of a turn: the clock, the heartbeat, the deadlines due and the inbox. A {@link FusedStage}
     * calls it for each of its stages, then selects once for both.
     *
     * @return deadlines expired and hand-offs taken.
     * @throws Exception what the inbox poll throws; its handler catches everything, so a bug.
     */
    final int beginTurn() throws Exception {
        eventsThisTurn = 0;
        readyLetPassThisTurn = 0;
        counters.increment(StageCounters.TURNS);
        nowNs = System.nanoTime();
        gate.onTurn(nowNs);
        final int expired = timers.poll(nowNs, onExpiry);
        if (inbox != null) {
            inbox.poll(onInboxEvent);
        }
        return expired + eventsThisTurn;
    }

    /** @return ready keys this turn that {@link #onReady} let pass: no work, see {@link #onReadyLetPass()}. */
    final int readyLetPassThisTurn() {
        return readyLetPassThisTurn;
    }

    /**
     * A ready key of this stage's, from a select a {@link FusedStage} made over the selector it shares.
     *
     * @param key the ready key, registered by this stage (or its wake pipe's).
     */
    final void onSharedReadyKey(final SelectionKey key) {
        onReadyKey(key);
    }

    /**
     * Back from a sleep: the turn's clock is as old as the sleep, so deadlines set now must count from now, and
     * the gate's heartbeat must say the thread is awake again before a producer reads it.
     */
    final void wokeUp() {
        nowNs = System.nanoTime();
        gate.onTurn(nowNs);
    }

    /** @return the longest idle sleep, milliseconds. */
    final long idleSelectTimeoutMs() {
        return idleSelectTimeoutMs;
    }

    /**
     * Called by {@link #onReady} for a ready key it leaves for a later turn: the turn does not count it as work,
     * so a stage with nothing else to do yields its core (to the stage that will consume the readiness) rather
     * than select again at once.
     */
    final void onReadyLetPass() {
        readyLetPassThisTurn++;
    }

    /**
     * Set a slot's deadline in this stage.
     *
     * @param slot      the slot index.
     * @param timeoutNs from now.
     * @param kind      a {@code TimeoutKind} constant.
     */
    void deadline(final int slot, final long timeoutNs, final int kind) {
        timers.schedule(slot, nowNs + timeoutNs, kind);
    }

    /**
     * A paced deadline ({@link TimeoutKind#paced}) came: the wait goes on for another half window when the client
     * kept the pace and the stage has no other end for it; otherwise the deadline counts as expired, before the
     * stage acts on it.
     *
     * @param slot  the slot index.
     * @param ended the wait ended anyway (its queue drained, its answer taken): no pace to judge.
     * @param rate  the stage's rule for this wait.
     * @param pace  the half's window.
     * @param moved the client's count of moved bytes now.
     * @param kind  the paced kind.
     * @return {@code true} when the wait goes on.
     */
    final boolean paceKept(final int slot, final boolean ended, final MinimumRate rate, final PaceWindow pace,
        final long moved, final int kind) {
        if (!ended && rate.keptPace(pace, nowNs, moved)) {
            deadline(slot, rate.halfWindowNs(), kind);
            return true;
        }
        counters.expired(kind);
        return false;
    }

    @Override
    public void idle() throws IOException {
        // A readiness let pass is for a slot another stage holds: that stage needs the core, working or not yet.
        final boolean owed = readyLetPassThisTurn > 0;
        for (int i = 0; i < idleYields && (owed || working.anyWorking()); i++) {
            // The stages usually share cores: giving the core to a working thread lets it publish to this stage
            // without paying for a wakeup to end a sleep. With no thread working, a yield would only hand the
            // core to another idle thread and back.
            Thread.yield();
            counters.increment(StageCounters.IDLE_YIELDS);
            if (hasPendingWork()) {
                return;
            }
        }
        wake.prepareToSleep();
        try {
            if (!hasPendingWork()) {
                selector.select(onReadyKeyAfterSleep, timers.scheduled() > 0 ? DEFAULT_TIMER_SELECT_TIMEOUT_MS
                    : idleSelectTimeoutMs);
            }
        } finally {
            wake.awake();
        }
    }

    /** @param admission the gate in front of this stage thread; called before the stage thread starts. */
    void admissionGate(final AdmissionGate admission) {
        this.gate = admission;
        admission.longestSleepMs(idleSelectTimeoutMs);
    }

    /** @return the gate in front of this stage thread. */
    AdmissionGate admissionGate() {
        return gate;
    }

    /** @param yields times to yield before sleeping; called before the stage thread starts. */
    void idleYields(final int yields) {
        this.idleYields = yields;
    }

    /** @param shared the pipeline's count of working stage threads; called before the stage thread starts. */
    void workingThreads(final WorkingThreads shared) {
        this.working = shared;
    }

    /** @param timeoutMs longest idle sleep in the selector; for tests, from any thread. */
    void idleSelectTimeoutMs(final long timeoutMs) {
        this.idleSelectTimeoutMs = timeoutMs;
        gate.longestSleepMs(timeoutMs);
    }

    /** @return {@code true} while the stage sleeps in its selector or is about to; any thread (tests wait on it). */
    boolean isSleeping() {
        return wake.isSleeping();
    }

    /** @return selector wakeups producers paid to end this stage's sleeps. */
    long wakeups() {
        return wake.wakeups();
    }

    @Override
    public void wakeUp() {
        selector.wakeup();
    }

    @Override
    public void onClose() {
        wake.close();
        try {
            selector.close();
        } catch (final IOException ex) {
            LOG.warn("{}: closing selector", roleName, ex);
        }
    }

    @Override
    public String roleName() {
        return roleName;
    }

    /** @return the stage's counters. */
    StageCounters counters() {
        return counters;
    }

    /** @return work done besides the inbox and the selector, e.g. draining returned slots. */
    int doOtherWork() {
        return 0;
    }

    /**
     * Take what waits in the inbox now, between ready keys: for a key whose slot may have been handed to this
     * stage without a wakeup.
     *
     * @return {@code true} when at least one event was handled.
     */
    final boolean drainInbox() {
        if (inbox == null || !inbox.hasPending()) {
            return false;
        }
        try {
            return inbox.poll(onInboxEvent);
        } catch (final Exception ex) {
            // The handler catches everything it throws; nothing else in the poll throws.
            throw new IllegalStateException(roleName + ": inbox poll failed", ex);
        }
    }

    /** @return {@code true} when there is work the selector would not wake the stage for. */
    boolean hasPendingWork() {
        return inbox != null && inbox.hasPending();
    }

    /**
     * The slot a client key belongs to, or {@code null} (and the key cancelled) when the key is of a socket
     * that has since been closed, its slot now serving another connection.
     *
     * @param key a ready key whose attachment is a {@link ConnectionSlot}.
     * @return the slot, or {@code null}.
     */
    static ConnectionSlot liveSlot(final SelectionKey key) {
        final ConnectionSlot slot = (ConnectionSlot) key.attachment();
        if (key.channel() != slot.client) {
            key.cancel();
            return null;
        }
        return slot;
    }

    /**
     * @param slot  a slot that arrived in a state this stage does not handle.
     * @param state that state.
     * @return the exception that reports the bug.
     */
    IllegalStateException unexpectedState(final ConnectionSlot slot, final int state) {
        return new IllegalStateException(roleName + ": slot " + slot.index + " arrived in "
            + ConnectionState.name(state));
    }

    /**
     * A half of a slot arrived in the inbox.
     *
     * @param slot         its index.
     * @param responseHalf {@code true} for the response half, else the request half.
     * @throws IOException when its socket failed; handled by {@link #onFailure(int, Throwable)}.
     */
    abstract void onSlot(int slot, boolean responseHalf) throws IOException;

    /**
     * A slot's deadline in this stage passed.
     *
     * @param slot the slot index.
     * @param kind the {@code TimeoutKind} it was scheduled with.
     * @throws IOException when a socket failed while handling it.
     */
    abstract void onExpiry(int slot, int kind) throws IOException;

    /**
     * A registered channel is ready.
     *
     * @param key the ready key.
     * @return the slot index concerned, for {@link #onFailure(int, Throwable)}, or -1.
     * @throws IOException when a socket failed.
     */
    abstract int onReady(SelectionKey key) throws IOException;

    /**
     * An exception escaped handling a slot; release what it holds so nothing leaks.
     *
     * @param slot the slot index (never negative: failures not traced to a slot hold nothing).
     * @param cause what was thrown.
     */
    abstract void onFailure(int slot, Throwable cause);

    private boolean onInboxEvent(final HandoffEvent event, final long sequence, final boolean endOfBatch) {
        eventsThisTurn++;
        counters.increment(StageCounters.HANDOFFS);
        final int slot = event.slot() >>> 1;
        try {
            onSlot(slot, (event.slot() & ConnectionSlot.RESPONSE_HALF) != 0);
        } catch (final Throwable t) {
            fail(slot, t);
        }
        return true;
    }

    private void onTimerExpiry(final int slot, final int kind) {
        if (!TimeoutKind.paced(kind)) {
            // Counted before the stage acts, so whoever sees the effect sees the count; paced ones in paceKept.
            counters.expired(kind);
        }
        try {
            onExpiry(slot, kind);
        } catch (final Throwable t) {
            fail(slot, t);
        }
    }

    private void onReadyKeyAfterSleep(final SelectionKey key) {
        wokeUp();
        onReadyKey(key);
    }

    private void onReadyKey(final SelectionKey key) {
        if (wake.onReady(key)) {
            return;
        }
        int slot = -1;
        try {
            slot = onReady(key);
        } catch (final Throwable t) {
            final Object attachment = key.attachment();
            if (slot < 0 && attachment instanceof ConnectionSlot) {
                slot = ((ConnectionSlot) attachment).index;
            } else if (slot < 0 && attachment instanceof UpstreamConnection) {
                slot = ((UpstreamConnection) attachment).slot;
            }
            fail(slot, t);
        }
    }

    /**
     * Count a failure and release what the slot holds; never throws.
     *
     * @param slot the slot index, or -1 when the failure is not traced to one.
     * @param t    what was thrown.
     */
    final void fail(final int slot, final Throwable t) {
        counters.increment(StageCounters.ERRORS);
        if (!(t instanceof IOException)) {
            counters.increment(StageCounters.BUGS);
            if (counters.bugs() <= 10) {
                LOG.error("{}: unexpected failure on slot {}", roleName, slot, t);
            }
        }
        if (slot < 0) {
            // Not traced to a slot (e.g. an accept failure): nothing is held that could leak.
            return;
        }
        try {
            onFailure(slot, t);
        } catch (final Throwable second) {
            counters.increment(StageCounters.BUGS);
            LOG.error("{}: failure while releasing slot {}", roleName, slot, second);
        }
    }
}
