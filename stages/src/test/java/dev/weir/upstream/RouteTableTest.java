package dev.weir.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.openhft.chronicle.bytes.BytesStore;

import dev.weir.config.RouteConfig;

/** {@link RouteTable}: exact host before suffix before any host, the longest path prefix, the default group. */
class RouteTableTest {

    private static final List<String> GROUPS = List.of("web", "api", "wild", "deep", "static", "apiV2", "local");

    private static final RouteTable TABLE = RouteTable.compile(List.of(
        new RouteConfig(null, "/static/", "static", "routes[0]"),
        new RouteConfig("*.example.com", null, "wild", "routes[1]"),
        new RouteConfig("api.example.com", null, "api", "routes[2]"),
        new RouteConfig("*.deep.example.com", null, "deep", "routes[3]"),
        new RouteConfig("api.example.com", "/v2/", "apiV2", "routes[4]"),
        new RouteConfig("[::1]", null, "local", "routes[5]")), GROUPS, 0);

    /** Match a host and path laid out in a store, at an offset other than 0, as in a slot's block. */
    private static String route(final String host, final String path) {
        final byte[] h = host == null ? new byte[0] : host.getBytes(StandardCharsets.US_ASCII);
        final byte[] p = path.getBytes(StandardCharsets.US_ASCII);
        final byte[] all = new byte[7 + h.length + p.length];
        System.arraycopy(h, 0, all, 7, h.length);
        System.arraycopy(p, 0, all, 7 + h.length, p.length);
        final BytesStore<?, ?> store = BytesStore.wrap(all);
        return GROUPS.get(TABLE.match(store, 7, host == null ? -1 : h.length, 7 + h.length, p.length));
    }

    @Test
    void shouldMatchAnExactHostInAnyCaseWithItsPortIgnored() {
        assertEquals("api", route("api.example.com", "/x"));
        assertEquals("api", route("API.Example.COM", "/x"));
        assertEquals("api", route("api.example.com:8443", "/x"));
        assertEquals("local", route("[::1]:8080", "/x"), "an IPv6 literal keeps its colons");
    }

    @Test
    void shouldPreferTheLongestSuffixAndNeverMatchTheBareDomain() {
        assertEquals("wild", route("www.example.com", "/"));
        assertEquals("deep", route("a.deep.example.com", "/"));
        assertEquals("wild", route("deep.example.com", "/"), "*.deep.example.com needs a label before it");
        assertEquals("web", route("example.com", "/"), "*.example.com does not match example.com");
        assertEquals("web", route("wwwexample.com", "/"), "a suffix starts at a dot");
    }

    @Test
    void shouldTakeTheLongestPathPrefixOfTheMostSpecificHost() {
        assertEquals("apiV2", route("api.example.com", "/v2/users?id=1"));
        assertEquals("api", route("api.example.com", "/v2"), "a byte prefix: /v2 is not under /v2/");
        assertEquals("api", route("api.example.com", "/static/a.css"), "the exact host's routes come first");
        assertEquals("static", route("other.org", "/static/a.css"));
        assertEquals("static", route(null, "/static/"), "no Host: only routes for any host");
    }

    @Test
    void shouldSendWhatNoRouteMatchesToTheDefaultGroup() {
        assertEquals("web", route("other.org", "/"));
        assertEquals("web", route(null, "/"));
        assertEquals("web", route("other.org", "/Static/"), "paths compare with case");
        assertEquals("api", GROUPS.get(RouteTable.compile(List.of(), GROUPS, 1).match(BytesStore.wrap(new byte[4]),
            0, 1, 1, 1)), "no routes: always the default");
    }
}
