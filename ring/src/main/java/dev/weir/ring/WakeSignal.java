package dev.weir.ring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.Selector;

/**
 * Wakes a stage's selector only when the stage is about to sleep in it.
 * <p>
 * The consumer calls {@link #prepareToSleep()}, checks its rings once more, then blocks in its selector and
 * calls {@link #awake()} on return. A producer calls {@link #signal()} after publishing: it pays for a
 * {@link Selector#wakeup()} only when it wins the flag from a sleeping consumer, never once per event, which
 * is what lets a busy pipeline batch.
 * <p>
 * <b>Note:</b> the flag is volatile on both sides (a Dekker pair with the ring's cursor): either the consumer
 * sees the new event in its last check, or the producer sees the flag and wakes it.
 */
@SuppressWarnings("unused")
public final class WakeSignal {

    private static final VarHandle SLEEPING;
    private static final VarHandle WAKEUPS;

    static {
        try {
            SLEEPING = MethodHandles.lookup().findVarHandle(WakeSignal.class, "sleeping", int.class);
            WAKEUPS = MethodHandles.lookup().findVarHandle(WakeSignal.class, "wakeups", long.class);
        } catch (final ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    // Padding keeps the flag, written by producers on other cores, off the selector reference's cache line.
    private long p1;
    private long p2;
    private long p3;
    private long p4;
    private long p5;
    private long p6;
    private long p7;
    private volatile int sleeping;
    private long q1;
    private long q2;
    private long q3;
    private long q4;
    private long q5;
    private long q6;
    private long q7;

    private final Selector selector;
    private long wakeups;

    /** @param selector the consumer stage's selector. */
    public WakeSignal(final Selector selector) {
        this.selector = selector;
    }

    /** Consumer: about to block; check the rings once more after this call. */
    public void prepareToSleep() {
        sleeping = 1;
    }

    /** Consumer: back from the selector (or decided not to block). */
    public void awake() {
        sleeping = 0;
    }

    /** Producer: wake the consumer if it sleeps or is about to. */
    public void signal() {
        if (sleeping == 1 && SLEEPING.compareAndSet(this, 1, 0)) {
            selector.wakeup();
            // Several producers may each win a wakeup: an atomic add, paid only beside a wakeup system call.
            WAKEUPS.getAndAdd(this, 1L);
        }
    }

    /** @return {@code true} while the consumer sleeps or is about to (a volatile read); for tests and metrics. */
    public boolean isSleeping() {
        return sleeping == 1;
    }

    /** @return wakeups issued (acquire load). */
    public long wakeups() {
        return (long) WAKEUPS.getAcquire(this);
    }
}
