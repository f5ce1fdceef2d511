package dev.weir.config;

/**
 * A configuration value breaks its rule; the message is one line naming the key and the rule.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String key;

    /**
     * @param key  the offending key, as written in {@code conf/weir.yaml}.
     * @param rule what the value must be, e.g. "must be a power of two".
     */
    public ConfigException(final String key, final String rule) {
        super(key + ": " + rule);
        this.key = key;
    }

    /** @return the offending key. */
    public String key() {
        return key;
    }
}
