package dev.weir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
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

/** Runs {@code bin/weir} as a real process, on the test classpath (no build, no second JVM for these cases). */
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

    @Test
    void shouldPrintThePlanOfTheShippedConfigAndExitZero() throws Exception {
        final Outcome r = weir("--plan");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.startsWith("weir memory plan (" + "conf" + File.separator + "weir.yaml)"), r.out);
        final long expected = PlanBuilder.build(ConfigLoader.load(ROOT.resolve("conf/weir.yaml"),
            Map.of())).totalBytes();
        assertTrue(r.out.contains("\ntotal ") && r.out.contains(" " + expected + " "), r.out);
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
