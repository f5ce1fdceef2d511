package dev.weir.upstream;

import dev.weir.config.UpstreamGroupConfig;

/**
 * Picks a server of one group for each request, among those available now: smooth weighted round-robin (the
 * nginx algorithm: each pick adds every server's weight to its current value, takes the largest, and subtracts
 * the total from it, so weights 5, 1, 1 give a a b a c a a) or least connections (fewest requests in flight
 * relative to weight, ties taken in turn).
 * <p>
 * <b>Note:</b> one per upstream thread and group, like nginx workers without a shared zone: with several
 * upstream threads each balances its own requests, so the weights hold per thread. Allocation-free.
 */
public final class Balancer {

    /** No server of the group is available. */
    public static final int NONE = -1;

    private final UpstreamGroup group;
    private final int[] current;
    private int next;

    /** @param group the group to balance over. */
    public Balancer(final UpstreamGroup group) {
        this.group = group;
        this.current = new int[group.size()];
    }

    /** @return the group. */
    public UpstreamGroup group() {
        return group;
    }

    /**
     * @param nowNs    {@link System#nanoTime()} now, for ejections that have ended.
     * @param excluded a server index to leave out (the one that just failed), or -1.
     * @param inFlight requests in flight on this thread, by server index (for least connections).
     * @return the chosen server's index over all groups, or {@link #NONE} when none is available.
     */
    public int pick(final long nowNs, final int excluded, final int[] inFlight) {
        return group.balance() == UpstreamGroupConfig.LEAST_CONNECTIONS ? leastConnections(nowNs, excluded, inFlight)
            : smoothWeighted(nowNs, excluded);
    }

    private int smoothWeighted(final long nowNs, final int excluded) {
        int best = -1;
        int total = 0;
        for (int i = 0; i < current.length; i++) {
            final UpstreamServer server = group.server(i);
            if (server.index() == excluded || !server.isAvailable(nowNs)) {
                continue;
            }
            current[i] += server.weight();
            total += server.weight();
            if (best < 0 || current[i] > current[best]) {
                best = i;
            }
        }
        if (best < 0) {
            return NONE;
        }
        current[best] -= total;
        return group.server(best).index();
    }

    private int leastConnections(final long nowNs, final int excluded, final int[] inFlight) {
        final int n = current.length;
        int best = -1;
        for (int k = 0; k < n; k++) {
            final int i = (next + k) % n;
            final UpstreamServer server = group.server(i);
            if (server.index() == excluded || !server.isAvailable(nowNs)) {
                continue;
            }
            if (best < 0 || (long) inFlight[server.index()] * group.server(best).weight()
                < (long) inFlight[group.server(best).index()] * server.weight()) {
                best = i;
            }
        }
        if (best < 0) {
            return NONE;
        }
        next = (best + 1) % n;
        return group.server(best).index();
    }
}
