package dev.weir.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

    private static final Path SHIPPED = Paths.get("..", "conf", "weir.yaml");
    private static final Path README = Paths.get("..", "README.md");

    @TempDir
    Path dir;

    private static WeirConfig yaml(final String text) {
        return ConfigLoader.readYaml(text, "test.yaml", WeirConfig.builder()).build();
    }

    private static ConfigException rejected(final String text) {
        return assertThrows(ConfigException.class, () -> yaml(text));
    }

    @Test
    void shouldReadFuseParseUpstreamAsAutoOrABareBoolean() {
        assertEquals("auto", yaml("fuse-parse-upstream: auto\n").fuseParseUpstreamSetting());
        // YAML reads a bare true or false as a boolean: the choice takes it as its word.
        assertEquals("true", yaml("fuse-parse-upstream: true\n").fuseParseUpstreamSetting());
        assertFalse(yaml("fuse-parse-upstream: false\n").fuseParseUpstream());
        assertEquals("fuse-parse-upstream", rejected("fuse-parse-upstream: sometimes\n").key());
        assertEquals("fuse-parse-upstream", rejected("fuse-parse-upstream: 1\n").key());
    }

    @Test
    void shouldRejectUpstreamBufferTooSmallForTheForwardedHead() {
        final ConfigException ex = rejected("parse.buffer: 16k\nupstream.buffer: 16k\n");
        assertEquals("upstream.buffer", ex.key());
    }

    @Test
    void shouldReadNestedSectionsAndDottedKeys() {
        final WeirConfig config = yaml("accept:\n  listen: 0.0.0.0:8081\nconnections: 300\n"
            + "parse.buffer: 32k\nupstream.buffer: 64k\n"
            + "upstream:\n  address: '[::1]:9001'\n  max-connections: 8\n  threads: 2\n"
            + "timeout:\n  client-head: 500ms\n  keep-alive: 2m\ntimeout.linger: 3s\n"
            + "memory:\n  lock: true\n  budget: none\n");
        assertEquals("0.0.0.0", config.listenHost());
        assertEquals(8081, config.listenPort());
        assertEquals(300, config.connections());
        assertEquals(1024, config.ringSize());
        assertEquals(32 * 1024, config.parseBufferBytes());
        assertEquals("::1", config.upstreamHost());
        assertEquals(9001, config.upstreamPort());
        assertEquals(8, config.upstreamMaxConnections());
        assertEquals(8, config.upstreamConnections());
        assertEquals(2, config.upstreamThreads());
        assertEquals(500, config.clientHeadTimeoutMs());
        assertEquals(120_000, config.keepAliveTimeoutMs());
        assertEquals(3_000, config.lingerTimeoutMs());
        assertEquals(ConfigKeys.DEFAULT_UPSTREAM_RESPONSE_TIMEOUT_MS, config.upstreamResponseTimeoutMs());
        assertTrue(config.lockMemory());
        assertEquals(0, config.memoryBudgetBytes());
    }

    @Test
    void shouldTreatAnEmptyFileAsDefaults() {
        assertEquals(ConfigKeys.DEFAULT_CONNECTIONS, yaml("# nothing\n").connections());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "negative connections      | 'connections: -5'                  | connections          | at least 1",
        "zero connections          | 'connections: 0'                   | connections          | at least 1",
        "zero parse threads        | 'parse: {threads: 0}'              | parse.threads        | at least 1",
        "negative write threads    | 'write: {threads: -1}'             | write.threads        | at least 1",
        "zero backlog              | 'accept: {backlog: 0}'             | accept.backlog       | at least 1",
        "ring not a power of two   | 'ring-size: 1000'                  | ring-size            | power of two",
        "negative ring size        | 'ring-size: -4'                    | ring-size            | power of two",
        "ring smaller than slots   | 'ring-size: 512'                   | ring-size            | at least 2 x conn",
        "ring smaller than 2 slots | 'ring-size: 1024'                  | ring-size            | at least 2 x conn",
        "unknown top-level key     | 'conections: 10'                   | conections           | unknown key",
        "unknown key in section    | 'parse: {bufer: 16k}'              | parse.bufer          | unknown key",
        "size without unit         | 'parse: {buffer: 16384}'           | parse.buffer         | with a unit",
        "size without unit, text   | 'jvm: {heap: ''64''}'          | jvm.heap             | with a unit",
        "negative size             | 'jvm: {heap: -64m}'                | jvm.heap             | negative",
        "zero size                 | 'socket: {send-buffer: 0k}'        | socket.send-buffer   | at least 1k",
        "buffer below 1 KiB        | 'upstream: {buffer: 512b}'         | upstream.buffer      | at least 1k",
        "buffer above 1 GiB        | 'parse: {buffer: 2g}'              | parse.buffer         | at most 1g",
        "heap too small for slots  | 'jvm: {heap: 16m}'                 | jvm.heap             | at least 39m",
        "thread stack too small    | 'jvm: {thread-stack: 64k}'         | jvm.thread-stack     | at least 256k",
        "zero direct memory        | 'jvm: {direct-memory: 0m}'         | jvm.direct-memory    | at least 1m",
        "bad host:port, no port    | 'accept: {listen: localhost}'      | accept.listen        | HOST:PORT",
        "bad host:port, port text  | 'upstream: {address: ''h:http''}' | upstream.address  | HOST:PORT",
        "port out of range         | 'accept: {listen: ''h:70000''}'  | accept.listen       | at most 65535",
        "upstream port zero        | 'upstream: {address: ''h:0''}'   | upstream.address    | at least 1",
        "upstream conns < threads | 'upstream: {max-connections: 1, threads: 2}' | upstream.max-connections | threads",
        "upstream conns > slots   | 'upstream.max-connections: 2000'   | upstream.max-connections | at most conn",
        "negative upstream conns  | 'upstream.max-connections: -1'     | upstream.max-connections | must be 0",
        "removed upstream conns   | 'upstream: {connections: 64}'      | upstream.connections | unknown key",
        "duration without unit    | 'timeout: {client-head: 10}'       | timeout.client-head  | with a unit",
        "duration text, no unit   | 'timeout: {linger: ''10''}'        | timeout.linger       | with a unit",
        "duration unknown unit    | 'timeout: {keep-alive: 10h}'       | timeout.keep-alive   | unknown unit",
        "duration size unit       | 'upstream: {queue-timeout: 5k}'    | upstream.queue-timeout | unknown unit",
        "duration zero            | 'timeout: {client-body: 0ms}'      | timeout.client-body  | at least 1ms",
        "duration negative        | 'timeout: {client-send: -1s}'      | timeout.client-send  | negative",
        "duration above an hour   | 'timeout: {upstream-response: 61m}' | timeout.upstream-response | at most 60m",
        "duration wrong type      | 'timeout: {upstream-connect: true}' | timeout.upstream-connect | a duration",
        "wrong type, text for int  | 'connections: many'                | connections          | an integer",
        "wrong type, float for int | 'connections: 1.5'                 | connections          | an integer",
        "wrong type, bool for size | 'parse: {buffer: true}'            | parse.buffer         | a size",
        "wrong type, int for bool  | 'memory: {lock: 1}'                | memory.lock          | true or false",
        "wrong type, map for key   | 'connections: {a: 1}'              | connections          | an integer",
        "wrong type, scalar section| 'parse: 5'                         | parse                | section",
        "int out of range          | 'connections: 99999999999'         | connections          | out of range",
        "more slots than a pool    | 'connections: 1048577'             | connections          | at most 1048576",
        "ring above its largest    | 'ring-size: 4194304'               | ring-size            | at most 2097152",
        "missing value             | 'connections:'                     | connections          | must have a value",
    })
    void shouldRejectBadConfigurationNamingTheKey(final String name, final String text, final String key,
        final String rule) {
        final ConfigException e = rejected(text.replace("\\n", "\n"));
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().startsWith(key + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(rule), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void shouldRejectDuplicateKeyAndInvalidYamlNamingTheFile() {
        final ConfigException dup = rejected("connections: 1\nconnections: 2\n");
        assertEquals("test.yaml", dup.key());
        assertTrue(dup.getMessage().contains("duplicate"), dup.getMessage());
        final ConfigException broken = rejected("parse: [1, 2\n");
        assertEquals("test.yaml", broken.key());
        assertTrue(broken.getMessage().contains("is not valid YAML"), broken.getMessage());
        assertFalse(broken.getMessage().contains("\n"), broken.getMessage());
    }

    @Test
    void shouldApplyCommandLineOverridesAfterTheFile() throws IOException {
        final Path file = dir.resolve("weir.yaml");
        Files.writeString(file, "connections: 100\nparse:\n  buffer: 8k\n");
        final Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("connections", "200");
        overrides.put("memory.lock", "true");
        final WeirConfig config = ConfigLoader.load(file, overrides);
        assertEquals(200, config.connections());
        assertEquals(8 * 1024, config.parseBufferBytes());
        assertTrue(config.lockMemory());
    }

    @Test
    void shouldRejectUnknownOverrideAndUnreadableFile() {
        assertEquals("parse.bufer", assertThrows(ConfigException.class,
            () -> ConfigLoader.load(null, Map.of("parse.bufer", "8k"))).key());
        final Path missing = dir.resolve("missing.yaml");
        final ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing, Map.of()));
        assertEquals(missing.toString(), e.key());
    }

    @Test
    void shouldShipAConfigFileWithEveryKeyAtItsDefault() throws IOException {
        final String text = Files.readString(SHIPPED);
        final WeirConfig shipped = ConfigLoader.load(SHIPPED, Map.of());
        final WeirConfig defaults = WeirConfig.builder().build();
        for (final ConfigKeys.Key key : ConfigKeys.all()) {
            final String leaf = key.name().substring(key.name().lastIndexOf('.') + 1);
            assertTrue(text.contains(leaf + ":"), "conf/weir.yaml lacks " + key.name());
            assertEquals(key.valueIn(defaults), key.valueIn(shipped), key.name());
            if (!key.name().equals("ring-size")) {
                assertEquals(key.defaultValue(), key.valueIn(defaults), "ConfigKeys default of " + key.name());
            }
            assertTrue(text.contains("(default " + key.defaultValue() + ")") || key.type() == ConfigKeys.Type.HOST_PORT,
                "conf/weir.yaml does not state the default of " + key.name());
        }
    }

    @Test
    void shouldRefuseAnAdminListenerOnTheProxysSocketUnderAnotherName() {
        for (final String[] pair : new String[][] {{"0.0.0.0", "127.0.0.1"}, {"127.0.0.1", "0.0.0.0"},
            {"127.0.0.1", "localhost"}, {"127.0.0.1", "127.0.0.1"}}) {
            assertEquals("admin.listen", rejected("accept: {listen: '" + pair[0] + ":8080'}\nadmin: {listen: '"
                + pair[1] + ":8080'}\n").key(), pair[0] + " and " + pair[1]);
        }
        assertEquals(8081, yaml("accept: {listen: '0.0.0.0:8080'}\nadmin: {listen: '127.0.0.1:8081'}\n").adminPort());
    }

    /** Sizes whose sum the plan takes: each is bounded, so a huge one is named rather than overflowing the sum. */
    @Test
    void shouldNameAJvmAreaBeyondSixtyFourTebibytes() {
        for (final String key : new String[] {"jvm.heap", "jvm.metaspace", "jvm.direct-memory", "jvm.overhead"}) {
            assertEquals(key, assertThrows(ConfigException.class,
                () -> ConfigLoader.load(null, Map.of(key, "8388607t"))).key());
            assertEquals(key, assertThrows(ConfigException.class,
                () -> ConfigLoader.load(null, Map.of(key, "65t"))).key());
        }
        assertEquals(64L << 40, ConfigLoader.load(null, Map.of("jvm.overhead", "64t")).jvmOverheadBytes());
    }

    /** The README's configuration table: a row per key with the key's default, and no row for a key that is gone. */
    @Test
    void shouldDocumentEveryKeyWithItsDefaultInTheReadme() throws IOException {
        final java.util.regex.Matcher row = java.util.regex.Pattern
            .compile("(?m)^\\| `([a-z][a-z.-]*)` \\| `([^`]*)` \\|").matcher(Files.readString(README));
        final Map<String, String> documented = new java.util.LinkedHashMap<>();
        while (row.find()) {
            documented.put(row.group(1), row.group(2));
        }
        for (final ConfigKeys.Key key : ConfigKeys.all()) {
            assertEquals(key.defaultValue(), documented.remove(key.name()), "README.md's default of " + key.name());
        }
        assertEquals(Map.of(), documented, "README.md documents keys Weir does not have");
    }

    @Test
    void shouldUseOneOriginConnectionPerSlotWhenMaxConnectionsIsZero() {
        final WeirConfig config = yaml("connections: 100\n");
        assertEquals(0, config.upstreamMaxConnections());
        assertEquals(100, config.upstreamConnections());
        assertEquals(256, config.ringSize());
    }

    @Test
    void shouldTakeAMinimumRateFromZeroToOneGibibytePerSecondAndNamingTheKeyBeyond() {
        assertEquals(500, WeirConfig.builder().build().clientMinRateBytes(), "the default");
        assertEquals(0, yaml("timeout.client-min-rate: 0b\n").clientMinRateBytes());
        assertEquals(1L << 30, yaml("timeout.client-min-rate: 1g\n").clientMinRateBytes());
        assertEquals("timeout.client-min-rate", assertThrows(ConfigException.class,
            () -> yaml("timeout.client-min-rate: 1025m\n")).key());
        assertEquals("timeout.client-min-rate", assertThrows(ConfigException.class,
            () -> yaml("timeout.client-min-rate: 500\n")).key(), "a bare number is refused like any size");
    }

    @Test
    void shouldAcceptAnHourButNotAMillisecondMore() {
        assertEquals(Durations.HOUR_MS, yaml("timeout.keep-alive: 60m\n").keepAliveTimeoutMs());
        assertEquals(1, yaml("timeout.keep-alive: 1ms\n").keepAliveTimeoutMs());
        assertEquals("timeout.keep-alive", rejected("timeout.keep-alive: 3600001ms\n").key());
    }

    @Test
    void shouldRejectEveryNumericKeyJustOutsideTheBoundsOfItsRow() {
        int checked = 0;
        for (final ConfigKeys.Key key : ConfigKeys.all()) {
            if (key.rule() == ConfigKeys.Rule.NONE || key.type() == ConfigKeys.Type.HOST_PORT
                || key.type() == ConfigKeys.Type.HOST_PORT_OR_NONE) {
                continue;
            }
            final boolean zeroAllowed = key.rule() != ConfigKeys.Rule.RANGE;
            final boolean textual = key.type() != ConfigKeys.Type.INTEGER;
            if (!(zeroAllowed && key.min() - 1 == 0) && !(textual && key.min() - 1 < 0)) {
                assertRejected(key, key.min() - 1);
                checked++;
            }
            if (key.max() < Integer.MAX_VALUE) {
                assertRejected(key, key.max() + 1);
                checked++;
            }
        }
        assertTrue(checked >= 25, "bounds checked: " + checked);
    }

    private static void assertRejected(final ConfigKeys.Key key, final long value) {
        final String text = key.type() == ConfigKeys.Type.INTEGER ? Long.toString(value)
            : key.type() == ConfigKeys.Type.DURATION || key.type() == ConfigKeys.Type.DURATION_OR_NONE ? value + "ms"
            : value + "b";
        final WeirConfig.Builder builder = WeirConfig.builder();
        final ConfigException e = assertThrows(ConfigException.class, () -> {
            ConfigLoader.set(builder, key.name(), text);
            builder.build();
        }, key.name() + " = " + text);
        assertEquals(key.name(), e.key(), e.getMessage());
    }

    @Test
    void shouldLeaveTheAdminListenerOffUnlessAnAddressIsGiven() {
        assertFalse(WeirConfig.builder().build().adminEnabled());
        assertFalse(yaml("admin:\n  listen: none\n").adminEnabled());
        assertFalse(yaml("admin.listen:\n").adminEnabled());
        final WeirConfig on = yaml("admin:\n  listen: 127.0.0.1:9901\n");
        assertTrue(on.adminEnabled());
        assertEquals("127.0.0.1", on.adminHost());
        assertEquals(9901, on.adminPort());
        assertEquals("127.0.0.1:9901", ConfigKeys.find("admin.listen").valueIn(on));
        assertEquals("none", ConfigKeys.find("admin.listen").valueIn(WeirConfig.builder().build()));
        assertEquals(0, ConfigLoader.load(null, Map.of("admin.listen", "[::1]:0")).adminPort());
        assertFalse(ConfigLoader.load(null, Map.of("admin.listen", "none")).adminEnabled());
    }

    @Test
    void shouldNameAdminListenWhenItIsNotAnAddress() {
        assertEquals("admin.listen", rejected("admin.listen: 9901\n").key());
        assertEquals("admin.listen", rejected("admin.listen: localhost\n").key());
        assertEquals("admin.listen", rejected("admin.listen: 127.0.0.1:70000\n").key());
        final ConfigException off = assertThrows(ConfigException.class,
            () -> ConfigLoader.load(null, Map.of("admin.listen", "off")));
        assertEquals("admin.listen", off.key());
        assertEquals("admin.listen: must be HOST:PORT, e.g. 127.0.0.1:9901, or none (got 'off')", off.getMessage());
        assertEquals("admin.listen", rejected("accept.listen: 127.0.0.1:8080\nadmin.listen: 127.0.0.1:8080\n").key());
    }

    @Test
    void shouldReadDrainTimeoutAsADuration() {
        assertEquals(ConfigKeys.DEFAULT_DRAIN_TIMEOUT_MS, WeirConfig.builder().build().drainTimeoutMs());
        assertEquals(2_000, yaml("drain-timeout: 2s\n").drainTimeoutMs());
        assertEquals("drain-timeout", rejected("drain-timeout: 30\n").key());
        assertEquals("drain-timeout", rejected("drain-timeout: 0ms\n").key());
    }

    @Test
    void shouldReadReusePortOffByDefaultAndOnWhenSet() {
        assertFalse(yaml("connections: 100\n").reusePort());
        assertTrue(yaml("accept:\n  reuse-port: true\n").reusePort(), "Linux has SO_REUSEPORT");
        assertEquals("accept.reuse-port", rejected("accept.reuse-port: sometimes\n").key());
    }

    @Test
    void shouldNameReusePortInOneLineWhereThePlatformLacksIt() {
        WeirConfig.Builder.checkReusePort(false, false);
        WeirConfig.Builder.checkReusePort(true, true);
        final ConfigException e = assertThrows(ConfigException.class,
            () -> WeirConfig.Builder.checkReusePort(true, false));
        assertEquals("accept.reuse-port", e.key());
        assertTrue(e.getMessage().startsWith("accept.reuse-port: SO_REUSEPORT is not supported on this platform ("),
            e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void shouldRejectNegativeIdleYields() {
        assertEquals("idle-yields", rejected("idle-yields: -1\n").key());
    }

    @Test
    void shouldListEveryKeyOnce() {
        assertEquals(64, ConfigKeys.all().size());
        for (final ConfigKeys.Key key : ConfigKeys.all()) {
            assertNotNull(ConfigKeys.find(key.name()));
            assertFalse(key.meaning().isEmpty(), key.name());
        }
    }

    @Test
    void shouldReadTheRequestLimitsAndForwardingSwitches() {
        final WeirConfig config = yaml("parse: {buffer: 32k, max-request-line: 12k, max-headers: 250, max-body: 1m}\n"
            + "upstream: {buffer: 64k}\n"
            + "forwarded: {x-forwarded-proto: false, x-forwarded-host: false, forwarded: true, via: false}\n");
        assertEquals(12 * 1024, config.maxRequestLineBytes());
        assertEquals(250, config.maxHeaders());
        assertEquals(1024 * 1024, config.maxBodyBytes());
        assertFalse(config.xForwardedProto());
        assertFalse(config.xForwardedHost());
        assertTrue(config.forwarded());
        assertFalse(config.via());
        assertEquals(250, config.requestPolicy().maxHeaders());
        assertEquals(2048 + 250 * 48, StageSizes.slotHeapBytes(config));
    }

    @Test
    void shouldDefaultToAnUnlimitedBodyAndTheDocumentedForwardingFields() {
        final WeirConfig config = yaml("# nothing\n");
        assertEquals(8 * 1024, config.maxRequestLineBytes());
        assertEquals(100, config.maxHeaders());
        assertEquals(0, config.maxBodyBytes());
        assertEquals("none", ConfigKeys.find("parse.max-body").valueIn(config));
        assertTrue(config.xForwardedProto());
        assertTrue(config.xForwardedHost());
        assertFalse(config.forwarded());
        assertTrue(config.via());
    }

    @Test
    void shouldRejectARequestLineLimitLargerThanTheParseBuffer() {
        final ConfigException e = rejected("parse: {buffer: 4k, max-request-line: 8k}\n");
        assertEquals("parse.max-request-line", e.key());
        assertTrue(e.getMessage().contains("at most parse.buffer"), e.getMessage());
    }

    @Test
    void shouldLimitTheRequestLineToASmallerParseBufferWhenNotSet() {
        assertEquals(4096, yaml("parse: {buffer: 4k}\n").maxRequestLineBytes());
        assertEquals(4096, WeirConfig.builder().parseBufferBytes(4096).build().toBuilder().build()
            .maxRequestLineBytes());
    }

    @Test
    void shouldRejectHeaderLimitsOutOfRange() {
        assertEquals("parse.max-headers", rejected("parse: {max-headers: 0}\n").key());
        assertEquals("parse.max-headers", rejected("parse: {max-headers: 40000}\n").key());
        assertEquals("parse.max-request-line", rejected("parse: {max-request-line: 16b}\n").key());
    }

    @Test
    void shouldReadTheAccessLogSectionAndKeepItOffByDefault() {
        assertFalse(WeirConfig.builder().build().accessLogOn());
        final Path file = dir.resolve("access.log");
        final WeirConfig config = yaml("access-log:\n  path: " + file + "\n  format: json\n  records: 4096\n"
            + "  max-target: 2k\n");
        assertTrue(config.accessLogOn());
        assertEquals(file.toString(), config.accessLogPath());
        assertEquals("json", config.accessLogFormat());
        assertEquals(4096, config.accessLogRecords());
        assertEquals(2048, config.accessLogMaxTargetBytes());
        assertTrue(yaml("access-log.path: '-'\n").accessLogOn(), "- is standard output");
    }

    @Test
    void shouldRefuseAnAccessLogItCannotWriteOrSize() {
        assertEquals("access-log.format", rejected("access-log.format: apache\n").key());
        assertEquals("access-log.path", rejected("access-log.path: " + dir.resolve("missing/access.log") + "\n")
            .key());
        assertEquals("access-log.path", rejected("access-log.path: " + dir + "\n").key(), "a directory");
        assertEquals("access-log.path", rejected("access-log.path: 12\n").key(), "not a path");
        assertEquals("access-log.records", rejected("access-log.records: 3000\n").key(), "not a power of two");
        assertEquals("access-log.records", rejected("access-log.records: 0\n").key());
        assertEquals("access-log.max-target", rejected("access-log.max-target: 8b\n").key());
        assertEquals("access-log.records", rejected("access-log.path: " + dir.resolve("a.log")
            + "\naccess-log.records: 1048576\naccess-log.max-target: 64k\n").key(), "a ring over 1 GiB");
    }
}
