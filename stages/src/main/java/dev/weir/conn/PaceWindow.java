package dev.weir.conn;

/**
 * How fast a client has moved bytes while a stage waited on it, in the current window of the minimum-rate rule
 * ({@code timeout.client-min-rate}). It lives in the half, not in a stage, so a window spans the half's hand-offs:
 * a client that trickles one byte per wait still owes the rate over the time Weir waited on it, and the time
 * another stage spends (the origin's, for example) does not count against it.
 * <p>
 * <b>Note:</b> written only by the stage that owns the half; the ring hand-off orders its writes.
 */
public final class PaceWindow {

    /** A window is open: {@link #movedAtOpen} and {@link #waitedNs} count. */
    public boolean open;
    /** The client's count of moved bytes when the window opened. */
    public long movedAtOpen;
    /** Time waited on the client in this window before the current wait, nanoseconds. */
    public long waitedNs;
    /** A wait on the client is under way, begun at {@link #waitingSinceNs}. */
    public boolean waiting;
    /** Turn time the current wait began. */
    public long waitingSinceNs;

    /** No window: the next wait opens one. */
    public void reset() {
        open = false;
        movedAtOpen = 0;
        waitedNs = 0;
        waiting = false;
        waitingSinceNs = 0;
    }
}
