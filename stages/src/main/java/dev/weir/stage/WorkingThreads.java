package dev.weir.stage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * How many of a pipeline's stage threads are working now, as opposed to idling (yielding or sleeping).
 * <p>
 * An idle stage yields its core only while another thread works: only then can a hand-off arrive without a
 * wakeup. Two idle threads on one core that yield to each other only trade the core back and forth; at one
 * connection that was about four of the seven thread switches per request.
 * <p>
 * <b>Note:</b> written on each idle transition of any stage thread (one atomic add), never per hand-off; under
 * load threads seldom go idle, so the line is written about as often as threads run out of work.
 */
@SuppressWarnings("unused")
final class WorkingThreads {

    private static final VarHandle COUNT;

    static {
        try {
            COUNT = MethodHandles.lookup().findVarHandle(WorkingThreads.class, "count", int.class);
        } catch (final ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    // Padding keeps the count, written by every stage thread, off the lines of neighbouring objects.
    private long p1;
    private long p2;
    private long p3;
    private long p4;
    private long p5;
    private long p6;
    private long p7;
    private volatile int count;
    private long q1;
    private long q2;
    private long q3;
    private long q4;
    private long q5;
    private long q6;
    private long q7;

    /** A stage thread starts working: its first turn, or back from idling ({@link StageRunner}). */
    void started() {
        COUNT.getAndAdd(this, 1);
    }

    /** A stage thread ran out of work and idles, or ended. */
    void stopped() {
        COUNT.getAndAdd(this, -1);
    }

    /**
     * @return {@code true} while some thread works; called by an idle thread, which does not count itself.
     */
    boolean anyWorking() {
        return count > 0;
    }
}
