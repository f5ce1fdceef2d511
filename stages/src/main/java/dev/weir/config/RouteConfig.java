package dev.weir.config;

/**
 * One entry of the {@code routes:} list: requests whose host and path match go to the named upstream group.
 * <pre>
 *   routes:
 *     - host: api.example.com      # exact, any case; the request's :port is ignored
 *       path: /v2/                 # a byte prefix of the path (query included)
 *       upstream: api-v2
 *     - host: "*.example.com"      # any name ending in .example.com (not example.com itself)
 *       upstream: web
 *     - path: /static/             # any host
 *       upstream: static
 * </pre>
 * The most specific host wins (exact, then the longest suffix, then a route without host), and among routes of
 * that host the longest path prefix; a request no route matches goes to the default group.
 * <p>
 * <b>Note:</b> immutable and thread-safe.
 */
public final class RouteConfig {

    private final String host;
    private final String path;
    private final String upstream;
    private final String key;

    /**
     * @param host     an exact host, {@code *.suffix}, or {@code null} for any host.
     * @param path     a path prefix starting with {@code /}, or {@code null} for any path.
     * @param upstream the group's name.
     * @param key      where it was configured, e.g. {@code routes[2]}, for error messages.
     */
    public RouteConfig(final String host, final String path, final String upstream, final String key) {
        this.host = host;
        this.path = path;
        this.upstream = upstream;
        this.key = key;
    }

    /** @return an exact host, {@code *.suffix}, or {@code null} for any host. */
    public String host() {
        return host;
    }

    /** @return a path prefix, or {@code null} for any path. */
    public String path() {
        return path;
    }

    /** @return the group's name. */
    public String upstream() {
        return upstream;
    }

    /** @return where it was configured, e.g. {@code routes[2]}. */
    public String key() {
        return key;
    }
}
