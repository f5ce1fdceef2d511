package dev.weir.config;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the structured {@code upstreams:} and {@code routes:} sections of the YAML document into
 * {@link UpstreamGroupConfig}s and {@link RouteConfig}s. Each error is one {@link ConfigException} naming the
 * key where it is, e.g. {@code upstreams.api.servers[1]} or {@code routes[0].upstream}; the rules across
 * groups and routes are {@link UpstreamRules}'.
 * <p>
 * <b>Note:</b> stateless; startup only.
 */
final class UpstreamSections {

    private static final String GROUP_KEYS = "servers, balance, default, max-fails, fail-timeout, retry, health";
    private static final String SERVER_KEYS = "address, weight";
    private static final String HEALTH_KEYS = "path, interval, timeout, fall, rise";
    private static final String ROUTE_KEYS = "host, path, upstream";

    private UpstreamSections() {
    }

    /**
     * @param raw the value of {@code upstreams}.
     * @return the groups, in document order.
     * @throws ConfigException naming the offending key.
     */
    static List<UpstreamGroupConfig> groups(final Object raw) {
        if (!(raw instanceof Map) || ((Map<?, ?>) raw).isEmpty()) {
            throw new ConfigException(ConfigLoader.UPSTREAMS, "must be a map of group name to group, e.g."
                + " 'upstreams: {api: {servers: [127.0.0.1:9001, 127.0.0.1:9002]}}'");
        }
        final List<UpstreamGroupConfig> groups = new ArrayList<>();
        for (final Map.Entry<?, ?> e : ((Map<?, ?>) raw).entrySet()) {
            final String name = String.valueOf(e.getKey());
            groups.add(group(ConfigLoader.UPSTREAMS + "." + name, name, e.getValue()));
        }
        return groups;
    }

    /**
     * @param raw the value of {@code routes}.
     * @return the routes, in document order.
     * @throws ConfigException naming the offending key.
     */
    static List<RouteConfig> routes(final Object raw) {
        if (!(raw instanceof List)) {
            throw new ConfigException(ConfigLoader.ROUTES, "must be a list of {host, path, upstream}, e.g."
                + " 'routes: [{host: api.example.com, upstream: api}]'");
        }
        final List<?> list = (List<?>) raw;
        final List<RouteConfig> routes = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            final String key = ConfigLoader.ROUTES + "[" + i + "]";
            final Map<?, ?> map = map(key, list.get(i), ROUTE_KEYS);
            String host = null;
            String path = null;
            String upstream = null;
            for (final Map.Entry<?, ?> e : map.entrySet()) {
                final String field = String.valueOf(e.getKey());
                switch (field) {
                    case "host":
                        host = text(key + ".host", e.getValue());
                        break;
                    case "path":
                        path = text(key + ".path", e.getValue());
                        break;
                    case "upstream":
                        upstream = text(key + ".upstream", e.getValue());
                        break;
                    default:
                        throw unknown(key + "." + field, ROUTE_KEYS);
                }
            }
            if (upstream == null) {
                throw new ConfigException(key + ".upstream", "must name the group the route leads to");
            }
            routes.add(new RouteConfig(host, path, upstream, key));
        }
        return routes;
    }

    private static UpstreamGroupConfig group(final String key, final String name, final Object raw) {
        final Map<?, ?> map = map(key, raw, GROUP_KEYS);
        List<UpstreamGroupConfig.Server> servers = null;
        int balance = UpstreamGroupConfig.ROUND_ROBIN;
        boolean isDefault = false;
        long maxFails = UpstreamGroupConfig.NOT_SET;
        long failTimeoutMs = UpstreamGroupConfig.NOT_SET;
        int retry = -1;
        String healthPath = null;
        long healthIntervalMs = UpstreamGroupConfig.NOT_SET;
        long healthTimeoutMs = UpstreamGroupConfig.NOT_SET;
        long healthFall = UpstreamGroupConfig.NOT_SET;
        long healthRise = UpstreamGroupConfig.NOT_SET;
        for (final Map.Entry<?, ?> e : map.entrySet()) {
            final String field = String.valueOf(e.getKey());
            final String fieldKey = key + "." + field;
            switch (field) {
                case "servers":
                    servers = servers(fieldKey, e.getValue());
                    break;
                case "balance":
                    balance = balance(fieldKey, e.getValue());
                    break;
                case "default":
                    isDefault = bool(fieldKey, e.getValue());
                    break;
                case "max-fails":
                    maxFails = integer(fieldKey, e.getValue());
                    break;
                case "fail-timeout":
                    failTimeoutMs = Durations.parseMs(fieldKey, text(fieldKey, e.getValue()));
                    break;
                case "retry":
                    retry = bool(fieldKey, e.getValue()) ? 1 : 0;
                    break;
                case "health":
                    final Map<?, ?> health = map(fieldKey, e.getValue(), HEALTH_KEYS);
                    for (final Map.Entry<?, ?> h : health.entrySet()) {
                        final String healthField = String.valueOf(h.getKey());
                        final String healthKey = fieldKey + "." + healthField;
                        switch (healthField) {
                            case "path":
                                healthPath = text(healthKey, h.getValue());
                                break;
                            case "interval":
                                healthIntervalMs = Durations.parseMs(healthKey, text(healthKey, h.getValue()));
                                break;
                            case "timeout":
                                healthTimeoutMs = Durations.parseMs(healthKey, text(healthKey, h.getValue()));
                                break;
                            case "fall":
                                healthFall = integer(healthKey, h.getValue());
                                break;
                            case "rise":
                                healthRise = integer(healthKey, h.getValue());
                                break;
                            default:
                                throw unknown(healthKey, HEALTH_KEYS);
                        }
                    }
                    if (healthPath == null) {
                        throw new ConfigException(fieldKey + ".path", "must be set for an active health check,"
                            + " e.g. /healthz");
                    }
                    break;
                default:
                    throw unknown(fieldKey, GROUP_KEYS);
            }
        }
        if (servers == null) {
            throw new ConfigException(key + ".servers", "must list at least one server, e.g. [127.0.0.1:9000]");
        }
        return new UpstreamGroupConfig(name, servers, balance, isDefault, maxFails, failTimeoutMs, retry,
            healthPath, healthIntervalMs, healthTimeoutMs, healthFall, healthRise);
    }

    private static List<UpstreamGroupConfig.Server> servers(final String key, final Object raw) {
        if (!(raw instanceof List) || ((List<?>) raw).isEmpty()) {
            throw new ConfigException(key, "must list at least one server: HOST:PORT, or {address: HOST:PORT,"
                + " weight: N}");
        }
        final List<?> list = (List<?>) raw;
        final List<UpstreamGroupConfig.Server> servers = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            final String serverKey = key + "[" + i + "]";
            final Object item = list.get(i);
            HostPort address = null;
            long weight = 1;
            if (item instanceof String) {
                address = hostPort(serverKey, (String) item);
            } else if (item instanceof Map) {
                for (final Map.Entry<?, ?> e : ((Map<?, ?>) item).entrySet()) {
                    final String field = String.valueOf(e.getKey());
                    if ("address".equals(field)) {
                        address = hostPort(serverKey + ".address", text(serverKey + ".address", e.getValue()));
                    } else if ("weight".equals(field)) {
                        weight = integer(serverKey + ".weight", e.getValue());
                    } else {
                        throw unknown(serverKey + "." + field, SERVER_KEYS);
                    }
                }
                if (address == null) {
                    throw new ConfigException(serverKey + ".address", "must be HOST:PORT, e.g. 127.0.0.1:9000");
                }
            } else {
                throw new ConfigException(serverKey, "must be HOST:PORT, or {address: HOST:PORT, weight: N} (got "
                    + describe(item) + ")");
            }
            if (weight < 1 || weight > ConfigKeys.MAX_UPSTREAM_WEIGHT) {
                throw new ConfigException(serverKey + ".weight", "must be from 1 to " + ConfigKeys.MAX_UPSTREAM_WEIGHT
                    + " (got " + weight + ")");
            }
            servers.add(new UpstreamGroupConfig.Server(address.host(), address.port(), (int) weight, serverKey));
        }
        return servers;
    }

    private static HostPort hostPort(final String key, final String text) {
        final HostPort address = HostPort.parse(key, text);
        if (address.port() < 1) {
            throw new ConfigException(key, "port must be at least 1 (got '" + text + "')");
        }
        return address;
    }

    private static int balance(final String key, final Object raw) {
        if ("round-robin".equals(raw)) {
            return UpstreamGroupConfig.ROUND_ROBIN;
        }
        if ("least-connections".equals(raw)) {
            return UpstreamGroupConfig.LEAST_CONNECTIONS;
        }
        throw new ConfigException(key, "must be round-robin or least-connections (got " + describe(raw) + ")");
    }

    private static Map<?, ?> map(final String key, final Object raw, final String keys) {
        if (!(raw instanceof Map)) {
            throw new ConfigException(key, "must be a section holding " + keys + " (got " + describe(raw) + ")");
        }
        return (Map<?, ?>) raw;
    }

    private static String text(final String key, final Object raw) {
        if (!(raw instanceof String) || ((String) raw).isEmpty()) {
            throw new ConfigException(key, "must be text (got " + describe(raw) + ")");
        }
        return (String) raw;
    }

    private static boolean bool(final String key, final Object raw) {
        if (!(raw instanceof Boolean)) {
            throw new ConfigException(key, "must be true or false (got " + describe(raw) + ")");
        }
        return (Boolean) raw;
    }

    private static long integer(final String key, final Object raw) {
        if (raw instanceof Integer || raw instanceof Long) {
            return ((Number) raw).longValue();
        }
        if (raw instanceof BigInteger) {
            throw new ConfigException(key, "is out of range (got " + raw + ")");
        }
        throw new ConfigException(key, "must be an integer (got " + describe(raw) + ")");
    }

    private static ConfigException unknown(final String key, final String known) {
        return new ConfigException(key, "unknown key (known here: " + known + ")");
    }

    private static String describe(final Object raw) {
        return raw instanceof Map ? "a section" : raw instanceof List ? "a list" : raw == null ? "nothing"
            : "'" + raw + "'";
    }
}
