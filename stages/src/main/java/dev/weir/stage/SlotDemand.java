package dev.weir.stage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The accept stage's call for slots while it has stopped accepting for want of one with a connection waiting in
 * the listen backlog: the parse stages answer it by closing their oldest idle keep-alive connections, so the
 * waiting connection is seated instead of waiting for {@code accept.queue-timeout} behind peers that only idle.
 * <p>
 * One cell holds how many idle connections may still be closed for the current call. Each pause of the accept
 * stage sets it to a batch; a parse thread takes one (a compare-and-set) before it closes a connection; the
 * accept stage clears it once it can seat again. So a call closes at most a batch whichever parse threads answer
 * it, and a new call comes only after the accept stage has seated what came back and still finds a connection
 * waiting: the calls are clocked by the seats they produce.
 * <pre>
 *   accept: paused, a connection waits -&gt; budget = batch       can seat again -&gt; budget = 0
 *   parse:  budget &gt; 0, an idle connection -&gt; budget - 1 (CAS), close the idle connection
 * </pre>
 * <p>
 * <b>Note:</b> the accept thread sets, parse threads take, lock-free. The call is a volatile store and the parse
 * threads' check a volatile load: with a parse stage's sleep flag they form a Dekker pair, so either a parse
 * thread about to sleep sees the call, or the accept stage, which then checks the flag, wakes it. The cell sits
 * on its own cache lines; nothing allocates.
 */
final class SlotDemand {

    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);
    /** Two cache lines (16 longs, 128 B) either side keep the one cell off its neighbours'. */
    private static final int PAD = 16;
    private static final int BUDGET = PAD;

    private final long[] cells = new long[BUDGET + 1 + PAD];

    /**
     * Accept thread: a connection waits for a slot; up to {@code batch} idle connections may be closed for it.
     *
     * @param batch idle connections the call may close, at least 1.
     */
    void want(final int batch) {
        CELL.setVolatile(cells, BUDGET, (long) batch);
    }

    /** Accept thread: no slot is wanted any more (one came back, a shed round began, or the drain did). */
    void satisfied() {
        CELL.setRelease(cells, BUDGET, 0L);
    }

    /** @return {@code true} while idle connections may be closed for the call; any thread (volatile load). */
    boolean isWanted() {
        return (long) CELL.getVolatile(cells, BUDGET) > 0;
    }

    /**
     * Parse thread: take one close from the call, before closing an idle connection for it.
     *
     * @return {@code false} when nothing is wanted (any more).
     */
    boolean tryTake() {
        long budget = (long) CELL.getVolatile(cells, BUDGET);
        while (budget > 0) {
            final long witness = (long) CELL.compareAndExchange(cells, BUDGET, budget, budget - 1);
            if (witness == budget) {
                return true;
            }
            budget = witness;
        }
        return false;
    }
}
