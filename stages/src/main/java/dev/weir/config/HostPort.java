package dev.weir.config;

/**
 * A {@code HOST:PORT} value, e.g. {@code 127.0.0.1:8080}, {@code localhost:9000} or {@code [::1]:8080}.
 * <p>
 * <b>Note:</b> immutable and thread-safe.
 */
public final class HostPort {

    /** Highest TCP port. */
    public static final int MAX_PORT = 65535;

    private final String host;
    private final int port;

    private HostPort(final String host, final int port) {
        this.host = host;
        this.port = port;
    }

    /**
     * Parse {@code HOST:PORT}; IPv6 addresses in brackets.
     *
     * @param key  the key being read, named in the exception.
     * @param text the value.
     * @return host and port; the port is 0 to {@value #MAX_PORT} here, keys narrow it further.
     * @throws ConfigException when the text is not {@code HOST:PORT}.
     */
    public static HostPort parse(final String key, final String text) {
        final String value = text.trim();
        final String host;
        final String port;
        if (value.startsWith("[")) {
            final int close = value.indexOf(']');
            if (close < 0 || close + 1 >= value.length() || value.charAt(close + 1) != ':') {
                throw bad(key, text);
            }
            host = value.substring(1, close);
            port = value.substring(close + 2);
        } else {
            final int colon = value.lastIndexOf(':');
            if (colon < 0 || value.indexOf(':') != colon) {
                throw bad(key, text);
            }
            host = value.substring(0, colon);
            port = value.substring(colon + 1);
        }
        if (!isHost(host) || port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
            throw bad(key, text);
        }
        final int number = Integer.parseInt(port);
        if (number > MAX_PORT) {
            throw new ConfigException(key, "port must be at most " + MAX_PORT + " (got '" + text + "')");
        }
        return new HostPort(host, number);
    }

    /**
     * @param host a host name or address without port.
     * @return {@code true} when it is non-empty and holds no whitespace, slash or bracket.
     */
    public static boolean isHost(final String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            final char c = host.charAt(i);
            if (Character.isWhitespace(c) || c == '/' || c == '[' || c == ']' || c == '@') {
                return false;
            }
        }
        return true;
    }

    /**
     * @param host a host or address.
     * @param port a port.
     * @return {@code host:port}, the IPv6 address in brackets.
     */
    public static String format(final String host, final int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** @return the host name or address. */
    public String host() {
        return host;
    }

    /** @return the port. */
    public int port() {
        return port;
    }

    @Override
    public String toString() {
        return format(host, port);
    }

    private static ConfigException bad(final String key, final String text) {
        return new ConfigException(key, "must be HOST:PORT, e.g. 127.0.0.1:8080 (got '" + text + "')");
    }
}
