package dev.weir.upstream;

import dev.weir.config.UpstreamGroupConfig;

/**
 * A named group of {@link UpstreamServer}s as the upstream stage uses it: the servers and the rules for
 * balancing, ejecting and retrying. Shared by every upstream thread; each thread balances with its own
 * {@link Balancer}.
 * <p>
 * <b>Note:</b> immutable after construction and thread-safe; the servers' health is shared.
 */
public final class UpstreamGroup {

    private final String name;
    private final UpstreamServer[] servers;
    private final int balance;
    private final int maxFails;
    private final long failTimeoutNs;
    private final boolean retry;

    /**
     * @param config  the group's resolved configuration.
     * @param servers its servers, in configuration order.
     */
    public UpstreamGroup(final UpstreamGroupConfig config, final UpstreamServer[] servers) {
        this.name = config.name();
        this.servers = servers.clone();
        this.balance = config.balance();
        // A group of one server never ejects it (nginx ignores max_fails there): there is nowhere else to go.
        this.maxFails = servers.length > 1 ? config.maxFails() : 0;
        this.failTimeoutNs = config.failTimeoutMs() * 1_000_000L;
        this.retry = config.retry();
    }

    /** @return the group's name. */
    public String name() {
        return name;
    }

    /** @return servers in the group. */
    public int size() {
        return servers.length;
    }

    /**
     * @param i a position in the group.
     * @return the server there.
     */
    public UpstreamServer server(final int i) {
        return servers[i];
    }

    /** @return {@link UpstreamGroupConfig#ROUND_ROBIN} or {@link UpstreamGroupConfig#LEAST_CONNECTIONS}. */
    public int balance() {
        return balance;
    }

    /** @return {@code true} when an idempotent request that could not connect is retried on another server. */
    public boolean retry() {
        return retry;
    }

    /**
     * Count a failure of one of this group's servers, ejecting it per the group's rules.
     *
     * @param server the server.
     * @param thread the calling upstream thread.
     * @param nowNs  {@link System#nanoTime()} now.
     * @return {@code true} when the server was ejected.
     */
    public boolean onFailure(final UpstreamServer server, final int thread, final long nowNs) {
        return server.onFailure(thread, nowNs, maxFails, failTimeoutNs);
    }
}
