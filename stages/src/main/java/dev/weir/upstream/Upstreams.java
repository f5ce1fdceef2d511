package dev.weir.upstream;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import dev.weir.config.ConfigException;
import dev.weir.config.UpstreamGroupConfig;
import dev.weir.config.WeirConfig;

/**
 * Every upstream group and server of the configuration, and the compiled route table: built once at startup
 * and shared by the upstream threads. Servers are numbered over all groups, in configuration order; that number
 * is {@code ExchangeFacts.server} and {@code UpstreamConnection.server}.
 * <p>
 * <b>Note:</b> immutable after construction and thread-safe; the servers' health and counters are shared.
 */
public final class Upstreams {

    private final UpstreamServer[] servers;
    private final UpstreamGroup[] groups;
    private final RouteTable routes;
    private final List<UpstreamServer> serverList;

    private Upstreams(final UpstreamServer[] servers, final UpstreamGroup[] groups, final RouteTable routes) {
        this.servers = servers;
        this.groups = groups;
        this.routes = routes;
        this.serverList = Collections.unmodifiableList(Arrays.asList(servers));
    }

    /**
     * Resolve every server's address and compile the routes.
     *
     * @param config  the validated configuration.
     * @param threads upstream threads, each with its row of counters in every server.
     * @return the upstreams.
     * @throws ConfigException naming the server whose host cannot be resolved.
     */
    public static Upstreams of(final WeirConfig config, final int threads) {
        final List<UpstreamServer> all = new ArrayList<>();
        final List<UpstreamGroupConfig> groupConfigs = config.upstreamGroups();
        final UpstreamGroup[] groups = new UpstreamGroup[groupConfigs.size()];
        final List<String> names = new ArrayList<>();
        for (int g = 0; g < groups.length; g++) {
            final UpstreamGroupConfig group = groupConfigs.get(g);
            final UpstreamServer[] members = new UpstreamServer[group.servers().size()];
            for (int i = 0; i < members.length; i++) {
                final UpstreamGroupConfig.Server server = group.servers().get(i);
                final InetSocketAddress address = new InetSocketAddress(server.host(), server.port());
                if (address.isUnresolved()) {
                    throw new ConfigException(server.key(), "cannot resolve host " + server.host());
                }
                members[i] = new UpstreamServer(all.size(), group.name(), server.address(), address, server.weight(),
                    threads);
                all.add(members[i]);
            }
            groups[g] = new UpstreamGroup(group, members);
            names.add(group.name());
        }
        return new Upstreams(all.toArray(new UpstreamServer[0]), groups,
            RouteTable.compile(config.routes(), names, config.defaultGroup()));
    }

    /** @return every server, by index; the array is shared, not to be changed. */
    public UpstreamServer[] servers() {
        return servers;
    }

    /** @return every server, by index, as an unmodifiable list. */
    public List<UpstreamServer> serverList() {
        return serverList;
    }

    /**
     * @param index a group index.
     * @return the group.
     */
    public UpstreamGroup group(final int index) {
        return groups[index];
    }

    /** @return groups in the configuration. */
    public int groupCount() {
        return groups.length;
    }

    /** @return the compiled routes. */
    public RouteTable routes() {
        return routes;
    }
}
