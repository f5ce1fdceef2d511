package dev.weir.conn;

/**
 * How fast a client has moved bytes while a stage waited on it, for the minimum-rate rule
 * ({@code timeout.client-min-rate}): the counts at the start of the last two half windows of waiting. It lives in
 * the half, not in a stage, so the window spans the half's hand-offs: a client that trickles one byte per wait
 * still owes the rate over the time Weir waited on it, and the time another stage spends (the origin's, for
 * example) does not count against it.
 * <p>
 * <b>Note:</b> written only by the stage that owns the half; the ring hand-off orders its writes.
 */
public final class PaceWindow {

    /** A window is open: the counts and {@link #waitedNs} mean something. */
    public boolean open;
    /** The client's count of moved bytes at the start of the previous half window. */
    public long movedAtPreviousHalf;
    /** The client's count of moved bytes at the start of the current half window. */
    public long movedAtHalf;
    /** Half windows completed since the window opened, at most 2: the rate is judged over two. */
    public int halves;
    /** Time waited on the client in the current half window before the current wait, nanoseconds. */
    public long waitedNs;
    /** A wait on the client is under way, begun at {@link #waitingSinceNs}. */
    public boolean waiting;
    /** Turn time the current wait began. */
    public long waitingSinceNs;

    /** No window: the next wait opens one. */
    public void reset() {
        open = false;
        movedAtPreviousHalf = 0;
        movedAtHalf = 0;
        halves = 0;
        waitedNs = 0;
        waiting = false;
        waitingSinceNs = 0;
    }
}
