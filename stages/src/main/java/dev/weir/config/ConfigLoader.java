package dev.weir.config;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Reads {@code conf/weir.yaml} and command-line overrides into a {@link WeirConfig}.
 * <p>
 * The file is YAML 1.2 read with SnakeYAML Engine: sections are nested maps ({@code parse: {buffer: 16k}}),
 * and a dotted key ({@code parse.buffer: 16k}) means the same. Every key must be in {@link ConfigKeys}; an
 * unknown key, a value of the wrong type, a size or duration without a unit or a duplicate key is a
 * {@link ConfigException} naming the key. Overrides ({@code key=value} text from the command line) are
 * applied after the file, then everything is validated once by {@link WeirConfig.Builder#build()}, and a
 * {@code memory.budget} is applied last by {@link AutoSizer}.
 * <p>
 * Two top-level sections are structured rather than flat: {@code upstreams:} (a map of group name to group, see
 * {@link UpstreamGroupConfig}) and {@code routes:} (a list, see {@link RouteConfig}); their errors name the key
 * the same way, e.g. {@code upstreams.api.servers[1]} or {@code routes[0].upstream}.
 * <p>
 * <b>Note:</b> stateless and thread-safe; for startup only.
 */
public final class ConfigLoader {

    /** The structured section of upstream groups. */
    static final String UPSTREAMS = "upstreams";
    /** The structured section of routes. */
    static final String ROUTES = "routes";

    private ConfigLoader() {
    }

    /**
     * Load a configuration: file (optional), then overrides, validation and auto-sizing.
     *
     * @param file      the YAML file, or {@code null} for the built-in defaults.
     * @param overrides key to value text, applied in iteration order after the file.
     * @return the validated configuration, fitted to {@code memory.budget} when one is set.
     * @throws ConfigException naming the first offending key.
     */
    public static WeirConfig load(final Path file, final Map<String, String> overrides) {
        final WeirConfig.Builder builder = WeirConfig.builder();
        if (file != null) {
            readFile(file, builder);
        }
        for (final Map.Entry<String, String> e : overrides.entrySet()) {
            set(builder, e.getKey(), e.getValue());
        }
        final WeirConfig config = builder.build();
        return config.memoryBudgetBytes() == 0 ? config : AutoSizer.fit(config, config.memoryBudgetBytes());
    }

    /**
     * Apply a YAML file to a builder.
     *
     * @param file    the file.
     * @param builder the builder to set keys on.
     * @return the builder.
     * @throws ConfigException when the file cannot be read, is not YAML, or holds a bad key or value; the key of
     *                         an unreadable file is its path.
     */
    public static WeirConfig.Builder readFile(final Path file, final WeirConfig.Builder builder) {
        final String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new ConfigException(file.toString(), "cannot be read (" + e.getClass().getSimpleName() + ": "
                + e.getMessage() + ")");
        }
        return readYaml(text, file.toString(), builder);
    }

    /**
     * Apply YAML text to a builder.
     *
     * @param text    the YAML document; empty means no keys.
     * @param source  the file name, named when the text is not valid YAML.
     * @param builder the builder to set keys on.
     * @return the builder.
     * @throws ConfigException naming the offending key, or the source when the text is not valid YAML.
     */
    public static WeirConfig.Builder readYaml(final String text, final String source,
        final WeirConfig.Builder builder) {
        final Object document;
        try {
            final LoadSettings settings = LoadSettings.builder()
                .setLabel(source)
                .setAllowDuplicateKeys(false)
                .setAllowRecursiveKeys(false)
                .build();
            document = new Load(settings).loadFromString(text);
        } catch (final MarkedYamlEngineException e) {
            final String where = e.getProblemMark().map(ConfigLoader::position).orElse("");
            throw new ConfigException(source, "is not valid YAML: " + oneLine(e.getProblem()) + where);
        } catch (final YamlEngineException e) {
            throw new ConfigException(source, "is not valid YAML: " + oneLine(e.getMessage()));
        }
        if (document == null) {
            return builder;
        }
        if (!(document instanceof Map)) {
            throw new ConfigException(source, "must be a YAML map of sections and keys, e.g. 'connections: 1024'");
        }
        walk("", (Map<?, ?>) document, builder);
        return builder;
    }

    /**
     * Set one key from text, as given on the command line.
     *
     * @param builder the builder.
     * @param name    the key, e.g. {@code parse.buffer}.
     * @param text    the value as text, e.g. {@code 32k}.
     * @throws ConfigException when the key is unknown or the text is not a value of its type.
     */
    public static void set(final WeirConfig.Builder builder, final String name, final String text) {
        final ConfigKeys.Key key = ConfigKeys.find(name);
        if (key == null) {
            throw unknown(name);
        }
        key.apply(builder, convert(key, text, true));
    }

    private static void walk(final String prefix, final Map<?, ?> map, final WeirConfig.Builder builder) {
        for (final Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String)) {
                throw new ConfigException(prefix + e.getKey(), "unknown key; keys are names such as "
                    + ConfigKeys.keysIn(trimDot(prefix)));
            }
            final String name = prefix + e.getKey();
            final ConfigKeys.Key key = ConfigKeys.find(name);
            if (UPSTREAMS.equals(name)) {
                builder.upstreamGroups(UpstreamSections.groups(e.getValue()));
            } else if (ROUTES.equals(name)) {
                builder.routes(UpstreamSections.routes(e.getValue()));
            } else if (key != null) {
                key.apply(builder, convert(key, e.getValue(), false));
            } else if (ConfigKeys.isSection(name)) {
                if (!(e.getValue() instanceof Map)) {
                    throw new ConfigException(name, "must be a section holding " + ConfigKeys.keysIn(name));
                }
                walk(name + ".", (Map<?, ?>) e.getValue(), builder);
            } else {
                throw unknown(name);
            }
        }
    }

    /** Convert a YAML value (or command-line text when {@code fromText}) to the key's type. */
    private static Object convert(final ConfigKeys.Key key, final Object raw, final boolean fromText) {
        final String name = key.name();
        final boolean noneAllowed = key.type() == ConfigKeys.Type.SIZE_OR_NONE
            || key.type() == ConfigKeys.Type.HOST_PORT_OR_NONE || key.type() == ConfigKeys.Type.DURATION_OR_NONE;
        if (raw == null && !noneAllowed) {
            throw new ConfigException(name, "must have a value (" + expected(key) + ")");
        }
        switch (key.type()) {
            case HOST_PORT:
                if (!(raw instanceof String)) {
                    throw wrongType(key, raw);
                }
                return HostPort.parse(name, (String) raw);
            case HOST_PORT_OR_NONE:
                if (raw == null || "none".equals(raw) || "".equals(raw)) {
                    return null;
                }
                if (!(raw instanceof String)) {
                    throw wrongType(key, raw);
                }
                if (((String) raw).indexOf(':') < 0) {
                    throw new ConfigException(name, "must be " + expected(key) + " (got '" + raw + "')");
                }
                return HostPort.parse(name, (String) raw);
            case INTEGER:
                return integer(key, raw, fromText);
            case SIZE:
                if (!(raw instanceof String)) {
                    throw wrongType(key, raw);
                }
                return Sizes.parse(name, (String) raw);
            case SIZE_OR_NONE:
                if (raw == null || "none".equals(raw)) {
                    return 0L;
                }
                if (!(raw instanceof String)) {
                    throw wrongType(key, raw);
                }
                return Sizes.parse(name, (String) raw);
            case DURATION:
                if (!(raw instanceof String)) {
                    throw wrongType(key, raw);
                }
                return Durations.parseMs(name, (String) raw);
            case DURATION_OR_NONE:
                if (raw == null || "none".equals(raw)) {
                    return 0L;
                }
                if (!(raw instanceof String)) {
                    throw wrongType(key, raw);
                }
                return Durations.parseMs(name, (String) raw);
            case BOOLEAN:
                if (raw instanceof Boolean) {
                    return raw;
                }
                if (fromText && ("true".equals(raw) || "false".equals(raw))) {
                    return Boolean.valueOf((String) raw);
                }
                throw wrongType(key, raw);
            case PATH_OR_NONE:
                if (!(raw instanceof String) || ((String) raw).isBlank()) {
                    throw wrongType(key, raw);
                }
                return raw;
            case CHOICE:
                // YAML reads a bare true or false as a boolean; a choice may name them.
                if (raw instanceof Boolean && key.choices().contains(raw.toString())) {
                    return raw.toString();
                }
                if (!(raw instanceof String) || !key.choices().contains(raw)) {
                    throw wrongType(key, raw);
                }
                return raw;
            case CPU_LIST:
                // YAML reads a lone CPU, affinity: 1, as a number.
                if (raw instanceof Integer) {
                    return raw.toString();
                }
                if (!(raw instanceof String) || ((String) raw).isBlank()) {
                    throw wrongType(key, raw);
                }
                return ((String) raw).trim();
            default:
                throw new IllegalStateException("no conversion for " + key.type());
        }
    }

    private static Integer integer(final ConfigKeys.Key key, final Object raw, final boolean fromText) {
        BigInteger value = null;
        if (raw instanceof Integer || raw instanceof Long) {
            value = BigInteger.valueOf(((Number) raw).longValue());
        } else if (raw instanceof BigInteger) {
            value = (BigInteger) raw;
        } else if (fromText && raw instanceof String && ((String) raw).trim().matches("[-+]?\\d+")) {
            value = new BigInteger(((String) raw).trim());
        }
        if (value == null) {
            throw wrongType(key, raw);
        }
        if (value.bitLength() >= Integer.SIZE) {
            throw new ConfigException(key.name(), "is out of range (got " + value + ")");
        }
        return value.intValue();
    }

    private static ConfigException wrongType(final ConfigKeys.Key key, final Object raw) {
        final String got = raw instanceof Map ? "a section" : raw instanceof Iterable ? "a list" : "'" + raw + "'";
        if (key.type() == ConfigKeys.Type.SIZE || key.type() == ConfigKeys.Type.SIZE_OR_NONE) {
            if (raw instanceof Number) {
                return new ConfigException(key.name(), "must be a size with a unit, e.g. 16k, 64m, 2g; a bare"
                    + " number is ambiguous (got " + got + ")");
            }
        }
        if ((key.type() == ConfigKeys.Type.DURATION || key.type() == ConfigKeys.Type.DURATION_OR_NONE)
            && raw instanceof Number) {
            return new ConfigException(key.name(), "must be a duration with a unit, e.g. 500ms, 10s, 2m; a bare"
                + " number is ambiguous (got " + got + ")");
        }
        return new ConfigException(key.name(), "must be " + expected(key) + " (got " + got + ")");
    }

    private static String expected(final ConfigKeys.Key key) {
        switch (key.type()) {
            case HOST_PORT:
                return "HOST:PORT, e.g. 127.0.0.1:8080";
            case HOST_PORT_OR_NONE:
                return "HOST:PORT, e.g. 127.0.0.1:9901, or none";
            case INTEGER:
                return "an integer";
            case SIZE:
                return "a size with a unit, e.g. 16k, 64m, 2g";
            case SIZE_OR_NONE:
                return "a size with a unit, e.g. 512m, 2g, or none";
            case DURATION:
                return "a duration with a unit, e.g. 500ms, 10s, 2m";
            case DURATION_OR_NONE:
                return "a duration with a unit, e.g. 500ms, 10s, 2m, or none";
            case BOOLEAN:
                return "true or false";
            case PATH_OR_NONE:
                return "a file path, - for standard output, or none";
            case CHOICE:
                return "one of " + String.join(", ", key.choices());
            case CPU_LIST:
                return "a CPU list like 0-3,6, or none";
            default:
                return key.type().name();
        }
    }

    private static ConfigException unknown(final String name) {
        final int dot = name.lastIndexOf('.');
        final String section = dot < 0 ? "" : name.substring(0, dot);
        final String known = ConfigKeys.isSection(section) || section.isEmpty()
            ? ConfigKeys.keysIn(section) : ConfigKeys.keysIn("");
        final String structured = section.isEmpty() || !ConfigKeys.isSection(section) ? ", " + UPSTREAMS + ", " + ROUTES
            : "";
        return new ConfigException(name, "unknown key (known here: " + known + structured + ")");
    }

    private static String trimDot(final String prefix) {
        return prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
    }

    private static String position(final Mark mark) {
        return " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    }

    private static String oneLine(final String text) {
        return text == null ? "" : text.replace('\n', ' ').replace('\r', ' ').trim();
    }
}
