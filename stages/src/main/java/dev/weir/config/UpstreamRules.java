package dev.weir.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The rules of the {@code upstreams:} and {@code routes:} sections that a value alone cannot show: one default
 * group, routes naming groups that exist, no two routes for the same host and path, and the bounds of every
 * group value, for groups built in code as for those read from YAML.
 * <p>
 * <b>Note:</b> stateless; startup only.
 */
final class UpstreamRules {

    private UpstreamRules() {
    }

    /**
     * @param groups the configured groups; empty for the one group of {@code upstream.address}.
     * @param routes the routes.
     * @throws ConfigException naming the first offending key.
     */
    static void check(final List<UpstreamGroupConfig> groups, final List<RouteConfig> routes) {
        final List<String> names = new ArrayList<>();
        int servers = 0;
        String defaultName = null;
        for (final UpstreamGroupConfig group : groups) {
            final String key = "upstreams." + group.name();
            checkName(key, group.name());
            if (names.contains(group.name())) {
                throw new ConfigException(key, "is defined twice");
            }
            names.add(group.name());
            checkGroup(key, group);
            servers += group.servers().size();
            if (group.isDefault()) {
                if (defaultName != null) {
                    throw new ConfigException(key + ".default", "only one group may be the default (upstreams."
                        + defaultName + " is too)");
                }
                defaultName = group.name();
            }
        }
        if (servers > ConfigKeys.MAX_UPSTREAM_SERVERS) {
            throw new ConfigException("upstreams", "must hold at most " + ConfigKeys.MAX_UPSTREAM_SERVERS
                + " servers over all groups (got " + servers + ")");
        }
        if (groups.size() > 1 && defaultName == null) {
            throw new ConfigException("upstreams", "one group must say 'default: true': requests no route matches"
                + " go there (groups: " + String.join(", ", names) + ")");
        }
        if (groups.isEmpty()) {
            names.add("default");
        }
        checkRoutes(routes, names);
    }

    private static void checkGroup(final String key, final UpstreamGroupConfig group) {
        if (group.servers().isEmpty()) {
            throw new ConfigException(key + ".servers", "must list at least one server, e.g. [127.0.0.1:9000]");
        }
        for (final UpstreamGroupConfig.Server server : group.servers()) {
            if (server.weight() < 1 || server.weight() > ConfigKeys.MAX_UPSTREAM_WEIGHT) {
                throw new ConfigException(server.key() + ".weight", "must be from 1 to "
                    + ConfigKeys.MAX_UPSTREAM_WEIGHT + " (got " + server.weight() + ")");
            }
            if (!HostPort.isHost(server.host()) || server.port() < 1 || server.port() > HostPort.MAX_PORT) {
                throw new ConfigException(server.key(), "must be HOST:PORT with a port from 1 to "
                    + HostPort.MAX_PORT + " (got '" + server.address() + "')");
            }
        }
        final long maxFails = group.maxFails();
        if (maxFails != UpstreamGroupConfig.NOT_SET && (maxFails < 0 || maxFails > ConfigKeys.MAX_UPSTREAM_MAX_FAILS)) {
            throw new ConfigException(key + ".max-fails", "must be 0 (never eject) or at most "
                + ConfigKeys.MAX_UPSTREAM_MAX_FAILS + " (got " + maxFails + ")");
        }
        checkDuration(key + ".fail-timeout", group.failTimeoutMs());
        checkDuration(key + ".health.interval", group.healthIntervalMs());
        checkDuration(key + ".health.timeout", group.healthTimeoutMs());
        checkCount(key + ".health.fall", group.healthFall());
        checkCount(key + ".health.rise", group.healthRise());
        final String path = group.healthPath();
        if (path != null && !isPath(path)) {
            throw new ConfigException(key + ".health.path", "must start with / and hold no space or control"
                + " character, e.g. /healthz (got '" + path + "')");
        }
    }

    private static void checkRoutes(final List<RouteConfig> routes, final List<String> names) {
        if (routes.size() > ConfigKeys.MAX_ROUTES) {
            throw new ConfigException("routes", "must hold at most " + ConfigKeys.MAX_ROUTES + " routes (got "
                + routes.size() + ")");
        }
        for (int i = 0; i < routes.size(); i++) {
            final RouteConfig route = routes.get(i);
            final String key = route.key();
            if (route.host() != null && !isHostPattern(route.host())) {
                throw new ConfigException(key + ".host", "must be a host name such as api.example.com or a"
                    + " suffix pattern such as *.example.com, without port (got '" + route.host() + "')");
            }
            if (route.path() != null && !isPath(route.path())) {
                throw new ConfigException(key + ".path", "must be a path prefix starting with /, without space"
                    + " (got '" + route.path() + "')");
            }
            if (route.upstream() == null || !names.contains(route.upstream())) {
                throw new ConfigException(key + ".upstream", "must name a group of upstreams ("
                    + String.join(", ", names) + "; got " + (route.upstream() == null ? "nothing" : "'"
                    + route.upstream() + "'") + ")");
            }
            for (int j = 0; j < i; j++) {
                final RouteConfig earlier = routes.get(j);
                if (sameHost(earlier.host(), route.host()) && same(earlier.path(), route.path())) {
                    throw new ConfigException(key, "has the same host and path as " + earlier.key());
                }
            }
        }
    }

    private static void checkName(final String key, final String name) {
        if (name.isEmpty() || !name.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
            || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')) {
            throw new ConfigException(key, "a group name is letters, digits, '-', '_' or '.'");
        }
    }

    private static void checkCount(final String key, final long count) {
        if (count != UpstreamGroupConfig.NOT_SET && (count < 1 || count > ConfigKeys.MAX_UPSTREAM_HEALTH_COUNT)) {
            throw new ConfigException(key, "must be from 1 to " + ConfigKeys.MAX_UPSTREAM_HEALTH_COUNT + " (got "
                + count + ")");
        }
    }

    private static void checkDuration(final String key, final long ms) {
        if (ms != UpstreamGroupConfig.NOT_SET && (ms < ConfigKeys.MIN_DURATION_MS || ms > ConfigKeys.MAX_DURATION_MS)) {
            throw new ConfigException(key, "must be from " + Durations.format(ConfigKeys.MIN_DURATION_MS) + " to "
                + Durations.format(ConfigKeys.MAX_DURATION_MS) + " (got " + Durations.format(ms) + ")");
        }
    }

    /**
     * @param host a route's host.
     * @return {@code true} for a reg-name of letters, digits, '-', '_' and '.', optionally after {@code *.}.
     */
    static boolean isHostPattern(final String host) {
        final String name = host.startsWith("*.") ? host.substring(2) : host;
        if (name.isEmpty() || name.startsWith(".")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            final char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                || c == '_')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isPath(final String path) {
        if (!path.startsWith("/")) {
            return false;
        }
        for (int i = 0; i < path.length(); i++) {
            if (path.charAt(i) <= ' ' || path.charAt(i) >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameHost(final String a, final String b) {
        return a == null ? b == null : b != null && a.toLowerCase(Locale.ROOT).equals(b.toLowerCase(Locale.ROOT));
    }

    private static boolean same(final String a, final String b) {
        final String x = a == null ? "/" : a;
        final String y = b == null ? "/" : b;
        return x.equals(y);
    }
}
