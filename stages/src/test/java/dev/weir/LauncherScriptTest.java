package dev.weir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.weir.config.ConfigLoader;
import dev.weir.config.PlanBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs {@code bin/weir} as a real process, on the test classpath (no build). Most cases end in the first JVM;
 * the ones named "...Serve..." start the serving JVM, wait for its ready line and stop it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LauncherScriptTest {

    private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

    /** Exit code, stdout and stderr of one launcher run. */
    private static final class Outcome {
        private final int code;
        private final String out;
        private final String err;

        Outcome(final int code, final String out, final String err) {
            this.code = code;
            this.out = out;
            this.err = err;
        }
    }

    private static Outcome weir(final String... args) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>();
        command.add("bash");
        command.add(ROOT.resolve("bin/weir").toString());
        command.addAll(List.of(args));
        final Path out = Files.createTempFile("weir-out", ".txt");
        final Path err = Files.createTempFile("weir-err", ".txt");
        try {
            final ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put("WEIR_CLASSPATH", System.getProperty("java.class.path"));
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            pb.environment().remove("WEIR_JAVA_OPTS");
            final Process p = pb.start();
            assertTrue(p.waitFor(50, TimeUnit.SECONDS), "bin/weir did not finish");
            return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * Run {@code bin/weir} to serve until its ready line, then stop it with SIGTERM.
     *
     * @param prefix   command words before {@code bash bin/weir}, e.g. a {@code prlimit} call.
     * @param javaOpts {@code WEIR_JAVA_OPTS}, or {@code null}.
     * @return the outcome; code 0 and the ready line in {@code out} when it served.
     */
    private static Outcome serveUntilReady(final List<String> prefix, final String javaOpts)
        throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("bash", ROOT.resolve("bin/weir").toString(), "--listen", "127.0.0.1:0",
            "--upstream", "127.0.0.1:9", "--connections", "64"));
        final Path err = Files.createTempFile("weir-err", ".txt");
        try {
            final ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile())
                .redirectError(err.toFile());
            pb.environment().put("WEIR_CLASSPATH", System.getProperty("java.class.path"));
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            pb.environment().remove("WEIR_JAVA_OPTS");
            if (javaOpts != null) {
                pb.environment().put("WEIR_JAVA_OPTS", javaOpts);
            }
            final Process p = pb.start();
            final StringBuilder out = new StringBuilder();
            try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    out.append(line).append('\n');
                    if (line.startsWith("weir ready: ")) {
                        p.destroy();
                        break;
                    }
                }
            }
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bin/weir did not stop");
            final boolean ready = out.indexOf("weir ready: ") >= 0;
            return new Outcome(ready ? 0 : p.exitValue(), out.toString(),
                Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    @Test
    void shouldServeWithACollectorNamedInWeirJavaOptsInsteadOfSerial() throws Exception {
        // Without the launcher leaving out its own -XX:+UseSerialGC the JVM exits: "Multiple garbage collectors".
        final Outcome r = serveUntilReady(List.of(), "-XX:+UseG1GC");
        assertEquals(0, r.code, r.err + r.out);
        assertTrue(r.out.contains("weir ready: listening on 127.0.0.1:"), r.out);
    }

    @Test
    void shouldRaiseTheSoftOpenFilesLimitToTheHardOneBeforeServing() throws Exception {
        // 64 connections need 64 + 64 + 1 sockets + 14 + 256 = 399 descriptors: more than the soft 300.
        final Outcome r = serveUntilReady(List.of("prlimit", "--nofile=300:4096"), null);
        assertEquals(0, r.code, r.err + r.out);
        assertTrue(r.out.contains("file descriptors: 399 = 129 sockets"), r.out);
    }

    @Test
    void shouldPrintThePlanOfTheShippedConfigAndExitZero() throws Exception {
        final Outcome r = weir("--plan");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.startsWith("weir memory plan (" + "conf" + File.separator + "weir.yaml)"), r.out);
        final long expected = PlanBuilder.build(ConfigLoader.load(ROOT.resolve("conf/weir.yaml"),
            Map.of())).totalBytes();
        assertTrue(r.out.contains("\ntotal ") && r.out.contains(" " + expected + " "), r.out);
        assertTrue(r.out.contains("\nfile descriptors: 2319 = 2049 sockets + 14 for the selectors and wake pipes of"
            + " 3 stage threads + 256 for the JVM"), r.out);
    }

    @Test
    void shouldExitNonZeroWithOneLineOnBadInputBeforeStartingTheProxy() throws Exception {
        final Outcome r = weir("--connections", "-5");
        assertEquals(2, r.code, r.err);
        assertEquals("weir: connections: must be at least 1 (got -5)\n", r.err);
        assertEquals("", r.out);
    }

    @Test
    void shouldRefuseAPlanLargerThanThisMachineBeforeStartingTheSecondJvm() throws Exception {
        final Outcome r = weir("--heap", "64t");
        assertEquals(3, r.code, r.err);
        assertEquals(1, r.err.split("\n").length, r.err);
        assertTrue(r.err.startsWith("weir: refusing to start: plan total 64.0 TiB"), r.err);
    }
}
