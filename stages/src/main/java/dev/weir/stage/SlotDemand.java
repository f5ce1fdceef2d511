package dev.weir.stage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The accept stage's call for slots while it has stopped accepting for want of one: the parse stages answer it
 * by closing their oldest idle keep-alive connections, so a connection waiting in the listen backlog is seated
 * instead of waiting for {@code accept.queue-timeout} behind peers that are only idling.
 * <p>
 * One cell holds the current round: {@link #NONE} while nothing is wanted, else the number of the accept pause
 * that wants slots. Each pause opens a new round, and each parse thread closes at most a small batch per round
 * (see {@code ParseStage}); a new pause comes only after the accept stage has seated what came back and still
 * finds connections waiting, so the calls are clocked by the seats they produce.
 * <pre>
 *   accept: pause with a connection waiting -&gt; round = ++rounds      seat possible again -&gt; round = NONE
 *   parse:  round != NONE and new            -&gt; owe a batch           round == NONE       -&gt; owe nothing
 * </pre>
 * <p>
 * <b>Note:</b> one writer, the accept thread; parse threads read. Opening a round is a volatile store and the
 * read a volatile load: with the parse stage's sleep flag they form a Dekker pair, so either a parse thread about
 * to sleep sees the round, or the accept stage, which then checks the flag, wakes it. The cell sits on its own
 * cache lines; nothing allocates.
 */
final class SlotDemand {

    /** The round while no slot is wanted. */
    static final long NONE = 0;
    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);
    /** Two cache lines (16 longs, 128 B) either side keep the one cell read here off its neighbours'. */
    private static final int PAD = 16;
    private static final int ROUND = PAD;

    private final long[] cells = new long[ROUND + 1 + PAD];
    /** Accept thread only: rounds opened so far. */
    private long rounds;

    /** Accept thread: slots are wanted by a connection waiting in the backlog; opens a new round. */
    void want() {
        CELL.setVolatile(cells, ROUND, ++rounds);
    }

    /** Accept thread: no slot is wanted any more (one came back, the shed round began, or the drain did). */
    void satisfied() {
        if (cells[ROUND] != NONE) {
            CELL.setRelease(cells, ROUND, NONE);
        }
    }

    /** @return the current round, or {@link #NONE}; any thread (a volatile load, a plain one on x86). */
    long round() {
        return (long) CELL.getVolatile(cells, ROUND);
    }
}
