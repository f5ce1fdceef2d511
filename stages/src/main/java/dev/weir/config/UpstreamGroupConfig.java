package dev.weir.config;

import java.util.ArrayList;
import java.util.List;

/**
 * One named group of origin servers from the {@code upstreams:} section: its servers, how requests are balanced
 * over them, and how failing servers are found and set aside.
 * <pre>
 *   upstreams:
 *     api:
 *       default: true              # where requests no route matches go
 *       balance: least-connections # or round-robin (smooth weighted, as nginx)
 *       servers:
 *         - 10.0.0.1:8080
 *         - address: 10.0.0.2:8080
 *           weight: 3
 *       max-fails: 3               # defaults: upstream.max-fails, upstream.fail-timeout, upstream.retry
 *       fail-timeout: 10s
 *       retry: true
 *       health:                    # optional active check
 *         path: /healthz
 *         interval: 5s             # defaults: upstream.health.interval, upstream.health.timeout
 *         timeout: 2s
 *         fall: 1                  # failed checks in a row that mark it down (upstream.health.fall)
 *         rise: 1                  # passed checks in a row that mark it up again (upstream.health.rise)
 * </pre>
 * Values a group does not set are {@link #NOT_SET} until {@link WeirConfig.Builder#build()} resolves them from
 * the flat keys.
 * <p>
 * <b>Note:</b> immutable and thread-safe.
 */
public final class UpstreamGroupConfig {

    /** Balance: smooth weighted round-robin (nginx's). */
    public static final int ROUND_ROBIN = 0;
    /** Balance: fewest requests in flight on this upstream thread, relative to weight. */
    public static final int LEAST_CONNECTIONS = 1;
    /** A value the group does not set: the flat key's value applies. */
    public static final long NOT_SET = -1;

    private final String name;
    private final List<Server> servers;
    private final int balance;
    private final boolean isDefault;
    private final long maxFails;
    private final long failTimeoutMs;
    private final int retry;
    private final String healthPath;
    private final long healthIntervalMs;
    private final long healthTimeoutMs;
    private final long healthFall;
    private final long healthRise;

    /**
     * @param name             group name.
     * @param servers          its servers, at least one.
     * @param balance          {@link #ROUND_ROBIN} or {@link #LEAST_CONNECTIONS}.
     * @param isDefault        the group requests no route matches go to.
     * @param maxFails         failures in a row that eject a server, 0 never, or {@link #NOT_SET}.
     * @param failTimeoutMs    how long an ejected server is left out, or {@link #NOT_SET}.
     * @param retry            1 to retry an idempotent request that could not connect on another server, 0 not,
     *                         -1 not set.
     * @param healthPath       the active check's path, or {@code null} for no active check.
     * @param healthIntervalMs time between checks of one server, or {@link #NOT_SET}.
     * @param healthTimeoutMs  longest a check may take, or {@link #NOT_SET}.
     * @param healthFall       failed checks in a row that mark a server down, or {@link #NOT_SET}.
     * @param healthRise       passed checks in a row that mark a down server up, or {@link #NOT_SET}.
     */
    public UpstreamGroupConfig(final String name, final List<Server> servers, final int balance,
        final boolean isDefault, final long maxFails, final long failTimeoutMs, final int retry,
        final String healthPath, final long healthIntervalMs, final long healthTimeoutMs, final long healthFall,
        final long healthRise) {
        this.name = name;
        this.servers = List.copyOf(servers);
        this.balance = balance;
        this.isDefault = isDefault;
        this.maxFails = maxFails;
        this.failTimeoutMs = failTimeoutMs;
        this.retry = retry;
        this.healthPath = healthPath;
        this.healthIntervalMs = healthIntervalMs;
        this.healthTimeoutMs = healthTimeoutMs;
        this.healthFall = healthFall;
        this.healthRise = healthRise;
    }

    /**
     * The one group {@code --upstream} and {@code upstream.address} describe when there is no {@code upstreams:}.
     *
     * @param host the origin's host.
     * @param port the origin's port.
     * @return a group named {@code default} with that one server, weight 1, every other value from the flat keys.
     */
    public static UpstreamGroupConfig shorthand(final String host, final int port) {
        return new UpstreamGroupConfig("default", List.of(new Server(host, port, 1, "upstream.address")),
            ROUND_ROBIN, true, NOT_SET, NOT_SET, -1, null, NOT_SET, NOT_SET, NOT_SET, NOT_SET);
    }

    /**
     * @param c the configuration whose flat keys fill what this group does not set.
     * @return this group with every value set.
     */
    UpstreamGroupConfig resolve(final WeirConfig c) {
        return new UpstreamGroupConfig(name, servers, balance, isDefault,
            maxFails == NOT_SET ? c.upstreamMaxFails() : maxFails,
            failTimeoutMs == NOT_SET ? c.upstreamFailTimeoutMs() : failTimeoutMs,
            retry < 0 ? c.upstreamRetry() ? 1 : 0 : retry, healthPath,
            healthIntervalMs == NOT_SET ? c.upstreamHealthIntervalMs() : healthIntervalMs,
            healthTimeoutMs == NOT_SET ? c.upstreamHealthTimeoutMs() : healthTimeoutMs,
            healthFall == NOT_SET ? c.upstreamHealthFall() : healthFall,
            healthRise == NOT_SET ? c.upstreamHealthRise() : healthRise);
    }

    /**
     * @param host the address every server moves to.
     * @param port its port.
     * @return this group with every server at that address, weights and every other value kept (the warm-up).
     */
    public UpstreamGroupConfig atAddress(final String host, final int port) {
        final List<Server> moved = new ArrayList<>(servers.size());
        for (final Server server : servers) {
            moved.add(new Server(host, port, server.weight(), server.key()));
        }
        return new UpstreamGroupConfig(name, moved, balance, isDefault, maxFails, failTimeoutMs, retry, healthPath,
            healthIntervalMs, healthTimeoutMs, healthFall, healthRise);
    }

    /** @return the group's name, as in {@code upstreams.NAME}. */
    public String name() {
        return name;
    }

    /** @return its servers, in configuration order. */
    public List<Server> servers() {
        return servers;
    }

    /** @return {@link #ROUND_ROBIN} or {@link #LEAST_CONNECTIONS}. */
    public int balance() {
        return balance;
    }

    /** @return {@code true} for the group requests no route matches go to. */
    public boolean isDefault() {
        return isDefault;
    }

    /** @return failures in a row that eject a server; 0 never ejects. */
    public int maxFails() {
        return (int) maxFails;
    }

    /** @return milliseconds an ejected server is left out before it is tried again. */
    public long failTimeoutMs() {
        return failTimeoutMs;
    }

    /** @return {@code true} to send an idempotent request that could not connect once more, to another server. */
    public boolean retry() {
        return retry == 1;
    }

    /** @return the active health check's path, or {@code null} when the group has no active check. */
    public String healthPath() {
        return healthPath;
    }

    /** @return milliseconds between active checks of one server. */
    public long healthIntervalMs() {
        return healthIntervalMs;
    }

    /** @return milliseconds an active check may take before it counts as failed. */
    public long healthTimeoutMs() {
        return healthTimeoutMs;
    }

    /** @return failed active checks in a row that mark a server down. */
    public int healthFall() {
        return (int) healthFall;
    }

    /** @return passed active checks in a row that mark a down server up again. */
    public int healthRise() {
        return (int) healthRise;
    }

    /**
     * @param b a balance constant.
     * @return its name as written in YAML.
     */
    public static String balanceName(final int b) {
        return b == LEAST_CONNECTIONS ? "least-connections" : "round-robin";
    }

    /**
     * One server of a group.
     * <p>
     * <b>Note:</b> immutable and thread-safe.
     */
    public static final class Server {
        private final String host;
        private final int port;
        private final int weight;
        private final String key;

        /**
         * @param host   host name or address.
         * @param port   port.
         * @param weight relative share of requests, at least 1.
         * @param key    where it was configured, e.g. {@code upstreams.api.servers[1]}, for error messages.
         */
        public Server(final String host, final int port, final int weight, final String key) {
            this.host = host;
            this.port = port;
            this.weight = weight;
            this.key = key;
        }

        /** @return host name or address. */
        public String host() {
            return host;
        }

        /** @return port. */
        public int port() {
            return port;
        }

        /** @return relative share of requests. */
        public int weight() {
            return weight;
        }

        /** @return where it was configured, e.g. {@code upstreams.api.servers[1]}. */
        public String key() {
            return key;
        }

        /** @return {@code host:port}. */
        public String address() {
            return HostPort.format(host, port);
        }
    }
}
