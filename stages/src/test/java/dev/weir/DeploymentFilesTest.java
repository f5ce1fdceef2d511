package dev.weir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import dev.weir.config.ConfigKeys;
import dev.weir.config.ConfigLoader;
import dev.weir.config.Durations;
import dev.weir.warmup.WarmUp;

/**
 * The deployment files, checked statically against the plan of the configuration they ship: the Kubernetes
 * manifests parse as YAML and their resources are what {@code bin/weir --plan --format k8s} prints for
 * {@code deploy/weir.yaml} (with the container's own arguments); the ConfigMap holds that very file; the
 * probes, {@code preStop} and grace period fit the drain; the systemd unit parses and its limits are what
 * {@code --format systemd} prints; the Dockerfile copies only files that exist and the build context holds.
 * Building the image is {@code ContainerImageIT}, skipped where no container runtime runs.
 */
class DeploymentFilesTest {

    private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
    private static final Path CONFIG = ROOT.resolve("deploy/weir.yaml");
    private static final Path K8S = ROOT.resolve("deploy/k8s");
    private static final Path UNIT = ROOT.resolve("deploy/systemd/weir.service");
    /** Where the image, the ConfigMap's mount and the unit put {@code deploy/weir.yaml}. */
    private static final String INSTALLED_CONFIG = "/etc/weir/weir.yaml";

    private static Load yaml() {
        return new Load(LoadSettings.builder().build());
    }

    /** Every document of every manifest, in file order. */
    private static List<Map<String, Object>> manifests() throws IOException {
        final List<Map<String, Object>> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(K8S)) {
            for (final Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toArray(Path[]::new)) {
                for (final Object doc : yaml().loadAllFromString(Files.readString(file))) {
                    assertTrue(doc instanceof Map, file + ": a document is a mapping");
                    docs.add(map(doc));
                }
            }
        }
        return docs;
    }

    private static Map<String, Object> manifest(final String kind) throws IOException {
        Map<String, Object> found = null;
        for (final Map<String, Object> doc : manifests()) {
            if (kind.equals(doc.get("kind"))) {
                assertEquals(null, found, "one " + kind);
                found = doc;
            }
        }
        assertNotNull(found, "deploy/k8s has a " + kind);
        return found;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(final Object node) {
        assertTrue(node instanceof Map, "a mapping: " + node);
        return (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(final Object node) {
        assertTrue(node instanceof List, "a sequence: " + node);
        return (List<Object>) node;
    }

    private static Object at(final Map<String, Object> root, final String... path) {
        Object node = root;
        for (final String key : path) {
            node = map(node).get(key);
            assertNotNull(node, String.join(".", path) + " is set");
        }
        return node;
    }

    private static Map<String, Object> podSpec() throws IOException {
        return map(at(manifest("Deployment"), "spec", "template", "spec"));
    }

    private static Map<String, Object> weirContainer() throws IOException {
        for (final Object c : list(podSpec().get("containers"))) {
            if ("weir".equals(map(c).get("name"))) {
                return map(c);
            }
        }
        throw new AssertionError("the Deployment has a container named weir");
    }

    private static List<String> containerArgs() throws IOException {
        final List<String> args = new ArrayList<>();
        for (final Object arg : list(weirContainer().get("args"))) {
            args.add(String.valueOf(arg));
        }
        return args;
    }

    /**
     * The arguments {@code --plan} gets: the deployment's own, with {@code --config} pointed from the installed
     * path at {@code deploy/weir.yaml}; a {@code --set} there changes the plan like any key in the file.
     */
    private static List<String> planArgs(final List<String> args, final String format) {
        final List<String> plan = new ArrayList<>(List.of("--plan", "--format", format));
        for (int i = 0; i < args.size(); i++) {
            final String arg = args.get(i);
            if (arg.equals("--config")) {
                assertEquals(INSTALLED_CONFIG, args.get(i + 1), "the configuration is deploy/weir.yaml, installed");
                plan.add(arg);
                plan.add(CONFIG.toString());
                i++;
            } else {
                plan.add(arg);
            }
        }
        assertTrue(plan.contains(CONFIG.toString()), "--config " + INSTALLED_CONFIG + " in " + args);
        return plan;
    }

    private static String weir(final List<String> args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Weir.run(args.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), () -> {
                throw new AssertionError("--plan reads no host figures");
            });
        assertEquals(Weir.EXIT_OK, code, "weir " + args + ": " + err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A key's value: from a {@code --set} in the arguments, else from {@code deploy/weir.yaml}. */
    private static String setting(final String key, final List<String> args) {
        for (int i = 0; i + 1 < args.size(); i++) {
            if (args.get(i).equals("--set") && args.get(i + 1).startsWith(key + "=")) {
                return args.get(i + 1).substring(key.length() + 1);
            }
        }
        final ConfigKeys.Key known = ConfigKeys.find(key);
        assertNotNull(known, key + " is a key of ConfigKeys");
        return known.valueIn(ConfigLoader.load(CONFIG, Map.of()));
    }

    private static int portOf(final String hostPort) {
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }

    private static int containerPort(final String name) throws IOException {
        for (final Object p : list(weirContainer().get("ports"))) {
            if (name.equals(map(p).get("name"))) {
                return ((Number) map(p).get("containerPort")).intValue();
            }
        }
        throw new AssertionError("the weir container names a port " + name);
    }

    @Test
    void shouldParseEveryKubernetesManifestAsYamlWithKindAndName() throws IOException {
        final List<String> kinds = new ArrayList<>();
        for (final Map<String, Object> doc : manifests()) {
            assertNotNull(doc.get("apiVersion"), String.valueOf(doc));
            assertNotNull(at(doc, "metadata", "name"));
            kinds.add(String.valueOf(doc.get("kind")));
        }
        assertTrue(kinds.containsAll(List.of("ConfigMap", "Deployment", "Service")), kinds.toString());
    }

    /** Every {@code docker run --memory} the Dockerfile and the README show holds deploy/weir.yaml's plan. */
    @Test
    void shouldShowDockerRunsWithTheMemoryThePlanNeeds() throws IOException {
        final String printed = weir(planArgs(containerArgs(), PlanFormat.K8S));
        final Map<String, Object> resources = map(map(yaml().loadFromString(printed)).get("resources"));
        final String memory = (String) map(resources.get("limits")).get("memory");
        final String expected = "--memory " + memory.replace("Mi", "m");
        for (final Path file : List.of(ROOT.resolve("Dockerfile"), ROOT.resolve("README.md"))) {
            final Matcher m = Pattern.compile("--memory \\d+[a-z]")
                .matcher(Files.readString(file, StandardCharsets.UTF_8));
            int found = 0;
            while (m.find()) {
                assertEquals(expected, m.group(), file + ": docker run needs the plan's " + memory);
                found++;
            }
            assertTrue(found > 0, file + " shows a docker run with --memory");
        }
    }

    @Test
    void shouldGiveTheDeploymentTheResourcesThePlanPrintsWithRequestsEqualToLimits() throws IOException {
        final String printed = weir(planArgs(containerArgs(), PlanFormat.K8S));
        final Object expected = map(yaml().loadFromString(printed)).get("resources");
        final Map<String, Object> resources = map(weirContainer().get("resources"));
        assertEquals(expected, resources, "deploy/k8s/deployment.yaml resources; bin/weir --plan --config"
            + " deploy/weir.yaml --format k8s prints:\n" + printed);
        assertEquals(resources.get("requests"), resources.get("limits"), "Guaranteed: requests equal limits");
        assertEquals(Set.of("cpu", "memory"), map(resources.get("limits")).keySet());
    }

    @Test
    void shouldMountDeployWeirYamlFromTheConfigMapAtTheConfigPath() throws IOException {
        final Map<String, Object> configMap = manifest("ConfigMap");
        assertEquals(Files.readString(CONFIG), at(configMap, "data", "weir.yaml"),
            "deploy/k8s/configmap.yaml holds deploy/weir.yaml, byte for byte");
        String volume = null;
        for (final Object v : list(podSpec().get("volumes"))) {
            final Object source = map(v).get("configMap");
            if (source != null && at(configMap, "metadata", "name").equals(map(source).get("name"))) {
                volume = String.valueOf(map(v).get("name"));
            }
        }
        assertNotNull(volume, "a volume from the ConfigMap");
        boolean mounted = false;
        for (final Object m : list(weirContainer().get("volumeMounts"))) {
            mounted |= volume.equals(map(m).get("name"))
                && INSTALLED_CONFIG.equals(map(m).get("mountPath") + "/weir.yaml");
        }
        assertTrue(mounted, "the ConfigMap is mounted where --config reads it");
    }

    @Test
    void shouldProbeHealthOnTheAdminPortAndOutlastTheDrain() throws IOException {
        final List<String> args = containerArgs();
        final int adminPort = portOf(setting("admin.listen", args));
        final long drainMs = Durations.parseMs("drain-timeout", setting("drain-timeout", args));
        final Map<String, Object> container = weirContainer();
        assertEquals("/health", at(container, "readinessProbe", "httpGet", "path"));
        assertEquals(adminPort, containerPort(String.valueOf(at(container, "readinessProbe", "httpGet", "port"))));
        assertEquals(adminPort, containerPort(String.valueOf(at(container, "livenessProbe", "tcpSocket", "port"))),
            "liveness on the admin port, which keeps accepting while /health says 503 during a drain");
        assertEquals(adminPort, containerPort(String.valueOf(at(container, "startupProbe", "tcpSocket", "port"))));
        final long startupMs = ((Number) at(container, "startupProbe", "periodSeconds")).longValue()
            * ((Number) at(container, "startupProbe", "failureThreshold")).longValue() * Durations.SECOND_MS;
        assertTrue(startupMs > WarmUp.DEADLINE_MS + WarmUp.CUT_OFF_MS + 10 * Durations.SECOND_MS,
            "the startup probe outlasts the warm-up's deadline: " + startupMs + " ms");
        final List<Object> preStop = list(at(container, "lifecycle", "preStop", "exec", "command"));
        assertEquals("sleep", preStop.get(0));
        final long sleepMs = Long.parseLong(String.valueOf(preStop.get(1))) * Durations.SECOND_MS;
        assertTrue(sleepMs >= 2 * Durations.SECOND_MS, "endpoints need a few seconds: " + preStop);
        final long graceMs = ((Number) podSpec().get("terminationGracePeriodSeconds")).longValue()
            * Durations.SECOND_MS;
        assertTrue(graceMs > sleepMs + drainMs, "terminationGracePeriodSeconds " + graceMs + " ms outlasts preStop "
            + sleepMs + " ms + drain-timeout " + drainMs + " ms");
    }

    @Test
    void shouldSendTheServiceToThePodsProxyPort() throws IOException {
        final Map<String, Object> service = manifest("Service");
        final Map<String, Object> labels = map(at(manifest("Deployment"), "spec", "template", "metadata", "labels"));
        for (final Map.Entry<String, Object> e : map(at(service, "spec", "selector")).entrySet()) {
            assertEquals(e.getValue(), labels.get(e.getKey()), "the selector matches the pods: " + e.getKey());
        }
        final Map<String, Object> port = map(list(at(service, "spec", "ports")).get(0));
        final int listenPort = ConfigLoader.load(CONFIG, Map.of()).listenPort();
        assertEquals(listenPort, containerPort(String.valueOf(port.get("targetPort"))), "accept.listen's port");
    }

    /** The unit as sections of {@code key -> values}; {@code #} and {@code ;} start comments. */
    private static Map<String, Map<String, List<String>>> unit() throws IOException {
        final Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
        Map<String, List<String>> section = null;
        for (final String raw : Files.readAllLines(UNIT)) {
            final String line = raw.trim();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            assertFalse(line.endsWith("\\"), "no continued lines: " + line);
            if (line.startsWith("[") && line.endsWith("]")) {
                section = sections.computeIfAbsent(line.substring(1, line.length() - 1), s -> new LinkedHashMap<>());
                continue;
            }
            final int eq = line.indexOf('=');
            assertTrue(eq > 0 && section != null, "KEY=VALUE in a section: " + line);
            section.computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>()).add(line.substring(eq + 1));
        }
        return sections;
    }

    private static String single(final Map<String, List<String>> section, final String key) {
        final List<String> values = section.get(key);
        assertNotNull(values, "[Service] sets " + key);
        assertEquals(1, values.size(), key + " once");
        return values.get(0);
    }

    @Test
    void shouldBoundTheSystemdUnitToThePlan() throws IOException {
        final Map<String, Map<String, List<String>>> unit = unit();
        assertEquals(Set.of("Unit", "Service", "Install"), unit.keySet());
        final Map<String, List<String>> service = unit.get("Service");
        final List<String> exec = List.of(single(service, "ExecStart").split("\\s+"));
        assertEquals("/opt/weir/bin/weir", exec.get(0));
        final List<String> args = exec.subList(1, exec.size());
        final String printed = weir(planArgs(args, PlanFormat.SYSTEMD));
        int lines = 0;
        for (final String line : printed.split("\n")) {
            if (!line.startsWith("#")) {
                final int eq = line.indexOf('=');
                assertEquals(line.substring(eq + 1), single(service, line.substring(0, eq)), line.substring(0, eq)
                    + "; bin/weir --plan --config deploy/weir.yaml --format systemd prints:\n" + printed);
                lines++;
            }
        }
        assertEquals(4, lines, printed);
        assertTrue(args.contains("--lock-memory"), "LimitMEMLOCK=infinity is there for --lock-memory");
        assertEquals("SIGTERM", single(service, "KillSignal"));
        assertEquals("on-failure", single(service, "Restart"));
        final long drainMs = Durations.parseMs("drain-timeout", setting("drain-timeout", args));
        final long stopMs = Durations.parseMs("TimeoutStopSec", single(service, "TimeoutStopSec"));
        assertTrue(stopMs > drainMs, "TimeoutStopSec " + stopMs + " ms outlasts drain-timeout " + drainMs + " ms");
    }

    /** Dockerfile instructions, continued lines joined, comments dropped. */
    private static List<String> dockerfile() throws IOException {
        final List<String> instructions = new ArrayList<>();
        final StringBuilder current = new StringBuilder();
        for (final String raw : Files.readAllLines(ROOT.resolve("Dockerfile"))) {
            final String line = raw.trim();
            if (line.startsWith("#") || line.isEmpty() && current.length() == 0) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            instructions.add(current.append(line).toString().trim());
            current.setLength(0);
        }
        return instructions;
    }

    @Test
    void shouldCopyIntoTheImageOnlyFilesThatExistAndTheBuildContextHolds() throws IOException {
        final List<String> kept = new ArrayList<>();
        for (final String line : Files.readAllLines(ROOT.resolve(".dockerignore"))) {
            if (line.startsWith("!")) {
                kept.add(line.substring(1).replaceAll("/$", ""));
            }
        }
        final List<String> instructions = dockerfile();
        int copied = 0;
        for (final String instruction : instructions) {
            if (!instruction.startsWith("COPY ") || instruction.contains("--from=")) {
                continue;
            }
            final String[] words = instruction.split("\\s+");
            for (int i = 1; i < words.length - 1; i++) {
                final String source = words[i].replaceAll("/$", "");
                assertTrue(Files.exists(ROOT.resolve(source)), "Dockerfile copies " + source + ", which exists");
                assertTrue(kept.stream().anyMatch(k -> source.equals(k) || source.startsWith(k + "/")),
                    ".dockerignore lets " + source + " into the build context");
                copied++;
            }
        }
        assertTrue(copied >= 10, "sources copied: " + copied);
        assertTrue(instructions.contains("ENTRYPOINT [\"/opt/weir/bin/weir\"]"), instructions.toString());
        assertTrue(instructions.stream().anyMatch(i -> i.startsWith("ENV WEIR_CLASSPATH=")),
            "the launcher runs the image's jars and never builds");
        final String user = instructions.stream().filter(i -> i.startsWith("USER ")).reduce((a, b) -> b).orElse("");
        assertTrue(!user.isEmpty() && !user.matches("USER (root|0)(:.*)?"), "a non-root user: " + user);
        assertTrue(instructions.get(0).startsWith("FROM maven:") && instructions.get(0).contains("temurin-17"),
            instructions.get(0));
        assertTrue(instructions.stream().anyMatch(i -> i.equals("FROM eclipse-temurin:17-jre")), "a JRE 17 runtime");
    }
}
