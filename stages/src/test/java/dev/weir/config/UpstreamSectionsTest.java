package dev.weir.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The {@code upstreams:} and {@code routes:} sections: what they build, and one error naming each bad key. */
class UpstreamSectionsTest {

    private static final String TWO_GROUPS = String.join("\n",
        "upstreams:",
        "  api:",
        "    balance: least-connections",
        "    servers: [127.0.0.1:9001, {address: 'localhost:9002', weight: 3}]",
        "    max-fails: 3",
        "    fail-timeout: 30s",
        "    retry: false",
        "    health: {path: /healthz, interval: 1s, rise: 2}",
        "  web:",
        "    default: true",
        "    servers:",
        "      - 127.0.0.1:9003",
        "routes:",
        "  - {host: api.example.com, upstream: api}",
        "  - {host: '*.example.com', path: /api/, upstream: api}",
        "  - {path: /static/, upstream: web}",
        "");

    private static WeirConfig load(final String yaml) {
        return ConfigLoader.readYaml(yaml, "test.yaml", WeirConfig.builder()).build();
    }

    private static String errorOf(final String yaml) {
        return assertThrows(ConfigException.class, () -> load(yaml)).getMessage();
    }

    @Test
    void shouldReadGroupsServersWeightsAndRoutes() {
        final WeirConfig config = load(TWO_GROUPS);
        assertEquals(2, config.upstreamGroups().size());
        final UpstreamGroupConfig api = config.upstreamGroups().get(0);
        assertEquals("api", api.name());
        assertEquals(UpstreamGroupConfig.LEAST_CONNECTIONS, api.balance());
        assertEquals("localhost:9002", api.servers().get(1).address());
        assertEquals(3, api.servers().get(1).weight());
        assertEquals(1, api.servers().get(0).weight());
        assertEquals(3, api.maxFails());
        assertEquals(30_000, api.failTimeoutMs());
        assertFalse(api.retry());
        assertEquals("/healthz", api.healthPath());
        assertEquals(1_000, api.healthIntervalMs());
        assertEquals(ConfigKeys.DEFAULT_UPSTREAM_HEALTH_TIMEOUT_MS, api.healthTimeoutMs(), "from the flat key");
        assertEquals(2, api.healthRise());
        assertEquals(ConfigKeys.DEFAULT_UPSTREAM_HEALTH_FALL, api.healthFall(), "from the flat key");
        final UpstreamGroupConfig web = config.upstreamGroups().get(1);
        assertEquals(ConfigKeys.DEFAULT_UPSTREAM_MAX_FAILS, web.maxFails(), "from the flat key");
        assertTrue(web.retry());
        assertNull(web.healthPath());
        assertEquals(1, config.defaultGroup());
        assertEquals(3, config.routes().size());
        assertEquals("*.example.com", config.routes().get(1).host());
        assertEquals("/api/", config.routes().get(1).path());
        assertEquals(3, config.upstreamServerCount());
        assertEquals(2, config.healthCheckedServerCount());
    }

    @Test
    void shouldMakeUpstreamAddressTheOneDefaultGroupWithoutASection() {
        final WeirConfig config = WeirConfig.builder().upstream("10.1.2.3", 8081).upstreamMaxFails(2).build();
        assertEquals(1, config.upstreamGroups().size());
        final UpstreamGroupConfig group = config.upstreamGroups().get(0);
        assertEquals("default", group.name());
        assertEquals(List.of("10.1.2.3:8081"), List.of(group.servers().get(0).address()));
        assertEquals(2, group.maxFails());
        assertFalse(config.hasUpstreamsSection());
        assertEquals(0, config.defaultGroup());
    }

    @Test
    void shouldTakeFlatDefaultsForGroupsFromTheFileAndKeepThemThroughToBuilder() {
        final WeirConfig config = load("upstream:\n  max-fails: 5\n" + TWO_GROUPS);
        assertEquals(5, config.upstreamGroups().get(1).maxFails());
        final WeirConfig derived = config.toBuilder().connections(10).build();
        assertEquals(2, derived.upstreamGroups().size(), "the sections survive toBuilder (auto-sizing)");
    }

    @Test
    void shouldNameTheServerThatIsNotHostPort() {
        assertEquals("upstreams.api.servers[1]: must be HOST:PORT, e.g. 127.0.0.1:8080 (got 'nohost')",
            errorOf("upstreams:\n  api:\n    servers: [127.0.0.1:1, nohost]\n"));
        assertTrue(errorOf("upstreams:\n  api:\n    servers: [{address: 127.0.0.1:1, weight: 0}]\n")
            .startsWith("upstreams.api.servers[0].weight: must be from 1 to 1000"));
        assertTrue(errorOf("upstreams:\n  api:\n    servers: [{adress: 127.0.0.1:1}]\n")
            .startsWith("upstreams.api.servers[0].adress: unknown key"));
        assertTrue(errorOf("upstreams:\n  api:\n    servers: []\n").startsWith("upstreams.api.servers: must list"));
        assertTrue(errorOf("upstreams:\n  api:\n    balance: random\n    servers: [a:1]\n")
            .startsWith("upstreams.api.balance: must be round-robin or least-connections"));
    }

    @Test
    void shouldNameTheBadGroupKey() {
        assertTrue(errorOf("upstreams:\n  api:\n    server: [a:1]\n").startsWith("upstreams.api.server: unknown key"));
        assertTrue(errorOf("upstreams:\n  api:\n    default: yes please\n    servers: [a:1]\n")
            .startsWith("upstreams.api.default: must be true or false"));
        assertTrue(errorOf("upstreams:\n  api:\n    servers: [a:1]\n    fail-timeout: 10\n")
            .startsWith("upstreams.api.fail-timeout: "));
        assertTrue(errorOf("upstreams:\n  api:\n    servers: [a:1]\n    max-fails: 1001\n")
            .startsWith("upstreams.api.max-fails: must be 0 (never eject) or at most 1000"));
        assertTrue(errorOf("upstreams:\n  api:\n    servers: [a:1]\n    health: {interval: 1s}\n")
            .startsWith("upstreams.api.health.path: must be set"));
        assertTrue(errorOf("upstreams:\n  api:\n    servers: [a:1]\n    health: {path: healthz}\n")
            .startsWith("upstreams.api.health.path: must start with /"));
        assertEquals("upstreams.api.health.fall: must be from 1 to 100 (got 0)",
            errorOf("upstreams:\n  api:\n    servers: [a:1]\n    health: {path: /h, fall: 0}\n"));
        assertTrue(errorOf("upstreams: [a:1]\n").startsWith("upstreams: must be a map of group name to group"));
    }

    @Test
    void shouldRequireOneDefaultAmongSeveralGroups() {
        assertTrue(errorOf("upstreams:\n  a: {servers: [a:1]}\n  b: {servers: [b:1]}\n")
            .startsWith("upstreams: one group must say 'default: true'"));
        assertTrue(errorOf("upstreams:\n  a: {default: true, servers: [a:1]}\n  b: {default: true, servers: [b:1]}\n")
            .startsWith("upstreams.b.default: only one group may be the default"));
        assertEquals(0, load("upstreams:\n  a: {servers: [a:1]}\n").defaultGroup(), "one group is the default");
    }

    @Test
    void shouldNameTheBadRoute() {
        final String groups = "upstreams:\n  a: {servers: [a:1]}\n";
        assertEquals("routes[1].upstream: must name a group of upstreams (a; got 'b')",
            errorOf(groups + "routes:\n  - {upstream: a}\n  - {host: x.org, upstream: b}\n"));
        assertTrue(errorOf(groups + "routes:\n  - {host: 'x.org:80', upstream: a}\n")
            .startsWith("routes[0].host: must be a host name"));
        assertTrue(errorOf(groups + "routes:\n  - {path: api, upstream: a}\n")
            .startsWith("routes[0].path: must be a path prefix starting with /"));
        assertTrue(errorOf(groups + "routes:\n  - {host: x.org}\n").startsWith("routes[0].upstream: must name"));
        assertTrue(errorOf(groups + "routes:\n  - {hots: x.org, upstream: a}\n")
            .startsWith("routes[0].hots: unknown key (known here: host, path, upstream)"));
        assertEquals("routes[1]: has the same host and path as routes[0]",
            errorOf(groups + "routes:\n  - {host: X.org, upstream: a}\n  - {host: x.org, path: /, upstream: a}\n"));
        assertTrue(errorOf(groups + "routes: {host: x.org}\n").startsWith("routes: must be a list"));
    }

    @Test
    void shouldLetRoutesNameTheShorthandGroup() {
        assertEquals(1, load("routes:\n  - {path: /a/, upstream: default}\n").routes().size());
    }

    @Test
    void shouldParseTheCommentedExampleOfTheShippedFile() throws IOException {
        // The commented upstreams:/routes: example in conf/weir.yaml, uncommented, is a valid configuration.
        final List<String> lines = Files.readAllLines(Paths.get("..", "conf", "weir.yaml"));
        final StringBuilder example = new StringBuilder();
        boolean in = false;
        for (final String line : lines) {
            if (line.equals("# upstreams:") || line.equals("# routes:")) {
                in = true;
            } else if (!line.startsWith("#   ") && !line.equals("#")) {
                in = false;
            }
            if (in && line.length() > 2) {
                example.append(line.substring(2)).append('\n');
            }
        }
        final WeirConfig config = ConfigLoader.readYaml(example.toString(), "example", WeirConfig.builder()).build();
        assertEquals(2, config.upstreamGroups().size(), example.toString());
        assertEquals(3, config.routes().size(), example.toString());
    }
}
