package dev.weir.upstream;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

import net.openhft.chronicle.bytes.BytesStore;

import dev.weir.config.RouteConfig;

/**
 * The routes compiled at startup into byte arrays, sorted so that the first match is the right one: exact hosts
 * first, then {@code *.suffix} hosts longest suffix first, then routes for any host; within each host, the
 * longest path prefix first. A request matching no route goes to the default group.
 * <pre>
 *   route i:  host[i] (lower case; ".example.com" for *.example.com; null: any)
 *             path[i] (a byte prefix; null: any)          group[i]
 *   request:  Host: API.Example.com:8443  -&gt;  "api.example.com" compared without case, the :port ignored
 * </pre>
 * The request's host is hashed once (lower case); an exact host is compared byte by byte only when its length and
 * hash agree, so a table of many hosts costs an int comparison per route that cannot match.
 * <p>
 * <b>Note:</b> immutable after construction; {@link #match} allocates nothing and may be called from any thread.
 */
public final class RouteTable {

    private static final int EXACT = 2;
    private static final int SUFFIX = 1;
    private static final int ANY = 0;

    private final byte[][] hosts;
    private final int[] hostHashes;
    private final int[] hostKinds;
    private final byte[][] paths;
    private final int[] groups;
    private final int defaultGroup;
    private final boolean anyHostRule;

    private RouteTable(final List<Compiled> routes, final int defaultGroup) {
        final int n = routes.size();
        hosts = new byte[n][];
        hostHashes = new int[n];
        hostKinds = new int[n];
        paths = new byte[n][];
        groups = new int[n];
        for (int i = 0; i < n; i++) {
            final Compiled r = routes.get(i);
            hosts[i] = r.host;
            hostHashes[i] = r.host == null ? 0 : hash(r.host);
            hostKinds[i] = r.hostKind;
            paths[i] = r.path;
            groups[i] = r.group;
        }
        this.defaultGroup = defaultGroup;
        // Sorted: a host rule, if any, comes first.
        this.anyHostRule = n > 0 && hostKinds[0] != ANY;
    }

    /**
     * @param routes       the configured routes (validated: every upstream names a group).
     * @param groupNames   the groups' names, by group index.
     * @param defaultGroup the index of the group unmatched requests go to.
     * @return the table.
     */
    public static RouteTable compile(final List<RouteConfig> routes, final List<String> groupNames,
        final int defaultGroup) {
        final List<Compiled> compiled = new ArrayList<>();
        for (final RouteConfig route : routes) {
            compiled.add(new Compiled(route, groupNames.indexOf(route.upstream())));
        }
        // Most specific host first; within a host, the longest path; a stable sort keeps file order for ties.
        compiled.sort(Comparator.<Compiled>comparingInt(r -> -r.hostKind)
            .thenComparingInt(r -> r.host == null ? 0 : -r.host.length)
            .thenComparingInt(r -> r.path == null ? 1 : -r.path.length));
        return new RouteTable(compiled, defaultGroup);
    }

    /** @return routes in the table. */
    public int size() {
        return groups.length;
    }

    /** @return the group requests no route matches go to. */
    public int defaultGroup() {
        return defaultGroup;
    }

    /**
     * @param store       the bytes of the request head.
     * @param hostOffset  absolute offset of the request's host (the {@code Host} value or the absolute-form
     *                    authority, port included).
     * @param hostLength  its length; negative or 0 when the request has none.
     * @param pathOffset  absolute offset of the path as forwarded (origin-form, query included).
     * @param pathLength  its length.
     * @return the group index.
     */
    public int match(final BytesStore<?, ?> store, final long hostOffset, final int hostLength,
        final long pathOffset, final int pathLength) {
        if (groups.length == 0) {
            return defaultGroup;
        }
        // Without host rules (only paths), the host is not read at all.
        final int nameLength = hostLength <= 0 || !anyHostRule ? 0 : nameLength(store, hostOffset, hostLength);
        final int hash = hash(store, hostOffset, nameLength);
        for (int i = 0; i < groups.length; i++) {
            if (hostMatches(i, store, hostOffset, nameLength, hash)
                && pathMatches(paths[i], store, pathOffset, pathLength)) {
                return groups[i];
            }
        }
        return defaultGroup;
    }

    /** @return the host's length without its {@code :port} (an IPv6 literal keeps its brackets). */
    private static int nameLength(final BytesStore<?, ?> store, final long offset, final int length) {
        if (store.readByte(offset) == '[') {
            for (int i = 1; i < length; i++) {
                if (store.readByte(offset + i) == ']') {
                    return i + 1;
                }
            }
            return length;
        }
        for (int i = 0; i < length; i++) {
            if (store.readByte(offset + i) == ':') {
                return i;
            }
        }
        return length;
    }

    private static int hash(final byte[] lower) {
        int h = 0;
        for (final byte b : lower) {
            h = 31 * h + b;
        }
        return h;
    }

    /** @return the hash of {@link #hash(byte[])} over the bytes in lower case. */
    private static int hash(final BytesStore<?, ?> store, final long offset, final int length) {
        int h = 0;
        for (int i = 0; i < length; i++) {
            h = 31 * h + toLower(store.readByte(offset + i));
        }
        return h;
    }

    private static int toLower(final byte b) {
        return b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b;
    }

    private boolean hostMatches(final int route, final BytesStore<?, ?> store, final long offset, final int length,
        final int hash) {
        final byte[] host = hosts[route];
        switch (hostKinds[route]) {
            case EXACT:
                return length == host.length && hostHashes[route] == hash && equalsIgnoreCase(host, store, offset);
            case SUFFIX:
                return length > host.length && equalsIgnoreCase(host, store, offset + length - host.length);
            default:
                return true;
        }
    }

    private static boolean equalsIgnoreCase(final byte[] lower, final BytesStore<?, ?> store, final long offset) {
        for (int i = 0; i < lower.length; i++) {
            if (toLower(store.readByte(offset + i)) != lower[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean pathMatches(final byte[] prefix, final BytesStore<?, ?> store, final long offset,
        final int length) {
        if (prefix == null) {
            return true;
        }
        if (length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (store.readByte(offset + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** One route while the table is built. */
    private static final class Compiled {
        final byte[] host;
        final int hostKind;
        final byte[] path;
        final int group;

        Compiled(final RouteConfig route, final int group) {
            final String h = route.host() == null ? null : route.host().toLowerCase(Locale.ROOT);
            if (h == null) {
                host = null;
                hostKind = ANY;
            } else if (h.startsWith("*.")) {
                host = h.substring(1).getBytes(StandardCharsets.US_ASCII);
                hostKind = SUFFIX;
            } else {
                host = h.getBytes(StandardCharsets.US_ASCII);
                hostKind = EXACT;
            }
            path = route.path() == null ? null : route.path().getBytes(StandardCharsets.US_ASCII);
            this.group = group;
        }
    }
}
