package dev.weir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.weir.config.JvmFlags;
import dev.weir.config.StageSizes;
import dev.weir.config.WeirConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StartupChecksTest {

    private static final long MIB = 1024L * 1024;
    private static final List<String> PLAN = JvmFlags.of(WeirConfig.builder().build());

    @TempDir
    Path dir;

    private static List<String> with(final List<String> base, final String... more) {
        final List<String> args = new ArrayList<>(base);
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void shouldPassAJvmStartedWithThePlanFlagsWhateverItsCollector() {
        assertNull(StartupChecks.jvmFlagMismatch(PLAN, PLAN, 61 * MIB));
        assertNull(StartupChecks.jvmFlagMismatch(PLAN, with(PLAN, "-XX:+UseG1GC", "-Xlog:gc"), 64 * MIB));
        assertNull(StartupChecks.jvmFlagMismatch(PLAN, with(PLAN, "-Xmx65536k"), 61 * MIB));
    }

    @Test
    void shouldNameAMissingOrOverriddenFlag() {
        final String missing = StartupChecks.jvmFlagMismatch(PLAN, List.of("-Dweir.home=/x"), 4096 * MIB);
        assertTrue(missing.startsWith("the JVM was started with no -Xmx but the plan needs -Xmx64m"), missing);
        final String later = StartupChecks.jvmFlagMismatch(PLAN, with(PLAN, "-Xss1m"), 61 * MIB);
        assertTrue(later.startsWith("the JVM was started with -Xss1m but the plan needs -Xss512k"), later);
        final String direct = StartupChecks.jvmFlagMismatch(PLAN, with(PLAN, "-XX:MaxDirectMemorySize=1g"), 61 * MIB);
        assertTrue(direct.contains("-XX:MaxDirectMemorySize=8m"), direct);
        final String touch = StartupChecks.jvmFlagMismatch(PLAN, with(PLAN, "-XX:-AlwaysPreTouch"), 61 * MIB);
        assertTrue(touch.contains("-XX:+AlwaysPreTouch"), touch);
        final String heap = StartupChecks.jvmFlagMismatch(PLAN, PLAN, 128 * MIB);
        assertTrue(heap.contains("128m heap"), heap);
        assertEquals(1, missing.split("\n").length);
    }

    @Test
    void shouldReadTheSoftOpenFilesLimit() throws IOException {
        final Path limits = dir.resolve("limits");
        Files.writeString(limits, "Limit                     Soft Limit           Hard Limit           Units     \n"
            + "Max processes             95763                95763                processes \n"
            + "Max open files            1024                 524288               files     \n");
        assertEquals(1024, StartupChecks.softFileLimit(limits));
        Files.writeString(limits, "Max open files            unlimited            unlimited            files     \n");
        assertEquals(StartupChecks.UNLIMITED, StartupChecks.softFileLimit(limits));
        assertEquals(StartupChecks.UNKNOWN, StartupChecks.softFileLimit(dir.resolve("missing")));
        Files.writeString(limits, "Max open files            1024                 524288               files     \n");
        assertEquals(524288, StartupChecks.hardFileLimit(limits));
        assertTrue(StartupChecks.softFileLimit(StartupChecks.PROC_LIMITS) > 0);
    }

    @Test
    void shouldRefuseAnOpenFilesLimitBelowThePlannedDescriptors() {
        final long needed = StageSizes.fileDescriptorCount(WeirConfig.builder().build());
        // Accept, the fused parse and upstream thread, write: 4 each, and upstream's own wake pipe on the fused one.
        assertEquals(2049 + 14 + 256, needed);
        assertNull(StartupChecks.fileLimitShortfall(needed, needed));
        assertNull(StartupChecks.fileLimitShortfall(StartupChecks.UNKNOWN, needed));
        final String shortfall = StartupChecks.fileLimitShortfall(1024, needed);
        assertTrue(shortfall.contains("is 1024 but the plan needs 2319 file descriptors"), shortfall);
    }

    /** Exit code and stderr of a child JVM running Weir to serve. */
    private static String[] serve(final List<String> prefix, final List<String> jvmFlags)
        throws IOException, InterruptedException {
        return weir(prefix, jvmFlags);
    }

    /** Exit code and stderr of a child JVM running Weir with these flags and options. */
    private static String[] weir(final List<String> prefix, final List<String> jvmFlags, final String... options)
        throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(prefix);
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmFlags);
        command.addAll(JvmFlags.chronicle());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.weir.Weir",
            "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9"));
        command.addAll(List.of(options));
        final Path err = Files.createTempFile("weir-err", ".txt");
        try {
            final Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile()).start();
            if (!p.waitFor(40, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("the child JVM started serving instead of refusing");
            }
            return new String[] {Integer.toString(p.exitValue()), Files.readString(err, StandardCharsets.UTF_8)};
        } finally {
            Files.deleteIfExists(err);
        }
    }

    @Test
    void shouldRefuseToServeInAJvmStartedWithoutThePlanFlags() throws Exception {
        final String[] r = serve(List.of(), List.of("-Xss512k"));
        assertEquals("3", r[0], r[1]);
        assertEquals(1, r[1].split("\n").length, r[1]);
        assertTrue(r[1].startsWith("weir: refusing to start: the JVM was started with no -Xmx but the plan needs"
            + " -Xmx64m"), r[1]);
    }

    /**
     * bin/weir's first JVM (--print-jvm-flags) commits nothing; the launcher raises the soft limit to the hard one
     * after it, so the hard limit is judged there, and a shortfall is told before the serving JVM pre-touches.
     */
    @Test
    void shouldRefuseInTheFirstJvmWhenEvenTheHardOpenFilesLimitIsBelowThePlan() throws Exception {
        final String[] r = weir(List.of("prlimit", "--nofile=512:512"), List.of(), "--print-jvm-flags");
        assertEquals("3", r[0], r[1]);
        assertEquals(1, r[1].split("\n").length, r[1]);
        assertTrue(r[1].startsWith("weir: refusing to start: the limit on open files (RLIMIT_NOFILE, hard) is 512"
            + " but the plan needs 2319"), r[1]);
        final String[] raised = weir(List.of("prlimit", "--nofile=512:4096"), List.of(), "--print-jvm-flags");
        assertEquals("0", raised[0], raised[1]);
    }

    @Test
    void shouldRefuseToServeWithAnOpenFilesLimitBelowThePlan() throws Exception {
        // The plan's own flags, so the flag check passes and the descriptor check is what refuses.
        final String[] r = serve(List.of("prlimit", "--nofile=512:512"), PLAN);
        assertEquals("3", r[0], r[1]);
        assertEquals(1, r[1].split("\n").length, r[1]);
        assertTrue(r[1].startsWith("weir: refusing to start: the limit on open files (RLIMIT_NOFILE, soft) is 512"
            + " but the plan needs 2319 file descriptors"), r[1]);
    }
}
