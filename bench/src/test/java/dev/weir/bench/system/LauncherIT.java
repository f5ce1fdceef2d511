package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.arena.plan.MemoryPlan;
import dev.weir.bench.origin.DemoOrigin;
import dev.weir.bench.support.ProcMemory;
import dev.weir.bench.support.WeirProcess;
import dev.weir.config.ConfigLoader;
import dev.weir.config.PlanBuilder;
import dev.weir.config.Sizes;
import dev.weir.config.StageSizes;
import dev.weir.config.WeirConfig;

/**
 * {@code bin/weir} as an operator runs it: right after "ready" the resident set holds at least 90% of what
 * the plan commits in the process (arenas and heap) and no more than the plan's total; a plan that commits
 * about 1 GiB is ready within seconds; curl gets the origin's answer through it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LauncherIT {

    /** Generous: the test must not hang, not measure speed. */
    private static final Duration READY_DEADLINE = Duration.ofSeconds(60);
    private static final double MIN_RESIDENT_SHARE = 0.90;
    private static final long MIB = 1024 * 1024;

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    /** The plan {@code bin/weir} computes for these options over {@code conf/weir.yaml}. */
    private static MemoryPlan planFor(final Map<String, String> overrides) {
        return PlanBuilder.build(config(overrides));
    }

    private static WeirConfig config(final Map<String, String> overrides) {
        return ConfigLoader.load(WeirProcess.root().resolve("conf/weir.yaml"), overrides);
    }

    /** {@code --set KEY=VALUE} for every override, after the listen and upstream addresses. */
    private String[] args(final Map<String, String> overrides) {
        final List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--upstream",
            "127.0.0.1:" + weir.origin().port()));
        for (final Map.Entry<String, String> e : overrides.entrySet()) {
            args.add("--set");
            args.add(e.getKey() + "=" + e.getValue());
        }
        return args.toArray(new String[0]);
    }

    /** Starts bin/weir, checks its resident set against its plan, and returns it still running. */
    private WeirProcess startAndCheckResidentSet(final String name, final Map<String, String> overrides)
        throws Exception {
        final MemoryPlan plan = planFor(overrides);
        final WeirProcess process = WeirProcess.start(READY_DEADLINE, args(overrides));
        final long rss = ProcMemory.rssBytes(process.pid());
        final long committed = plan.committedBytes();
        System.out.printf("weir-it launcher %s: ready in %d ms; VmRSS %.1f MiB = %.1f%% of %.1f MiB committed; "
            + "plan total %.1f MiB%n", name, process.timeToReady().toMillis(), rss / (double) MIB,
            100.0 * rss / committed, committed / (double) MIB, plan.totalBytes() / (double) MIB);
        for (final String line : process.linesStartingWith("[main] INFO dev.weir.arena.Arena")) {
            System.out.println("weir-it launcher " + name + ": " + line.substring(line.indexOf("arena '")));
        }
        assertTrue(process.output().contains("\ntotal ") && process.output().contains(" " + plan.totalBytes() + " "),
            "the printed plan is the plan computed here:\n" + process.output());
        assertTrue(rss >= MIN_RESIDENT_SHARE * committed, "VmRSS " + rss + " after ready is below 90% of the "
            + committed + " bytes the plan commits in the process\n" + process.output());
        assertTrue(ProcMemory.hwmBytes(process.pid()) <= plan.totalBytes(), "VmHWM above the plan total "
            + plan.totalBytes());
        return process;
    }

    @Test
    void shouldHoldTheDefaultPlansCommittedBytesRightAfterReady() throws Exception {
        Assumptions.assumeTrue(ProcMemory.available(), "needs /proc");
        try (WeirProcess process = startAndCheckResidentSet("default plan", Map.of())) {
            assertTrue(process.isAlive());
        }
    }

    @Test
    void shouldCommitAOneGibPlanAndBeReadyWithinTheDeadline() throws Exception {
        Assumptions.assumeTrue(ProcMemory.available(), "needs /proc");
        // 16384 x (16 KiB + 32 KiB) of arenas + a 256 MiB heap = 1 GiB committed in the process.
        final Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("connections", "16384");
        overrides.put("parse.buffer", "16k");
        overrides.put("upstream.buffer", "32k");
        // A fixed origin pool keeps the descriptors (16384 + 64 + 1 sockets + 264) under a 20,000 open-files
        // limit, which 2 x 16384 origin and client sockets would exceed; the committed memory is the same.
        overrides.put("upstream.max-connections", "64");
        overrides.put("jvm.heap", "256m");
        // Arenas and heap; the stage threads' touched stacks (1 MiB) come on top.
        assertEquals(1024 * MIB, (planFor(overrides).committedBytes() - StageSizes.pretouchedStackBytes(
            config(overrides))) / MIB * MIB, "the plan commits 1 GiB");
        try (WeirProcess process = startAndCheckResidentSet("1 GiB plan", overrides)) {
            assertTrue(process.timeToReady().compareTo(READY_DEADLINE) < 0);
        }
    }

    @Test
    void shouldStartWithTheSmallestHeapThePlanAccepts() throws Exception {
        // The plan's heap rule must cover what the slot table really takes: a heap it accepts must not run out.
        final Map<String, String> overrides = new LinkedHashMap<>();
        // 16384 slots and a fixed origin pool: the descriptors then fit a 20,000 open-files limit.
        overrides.put("connections", "16384");
        overrides.put("upstream.max-connections", "64");
        overrides.put("jvm.heap", "64g");
        final long needed = StageSizes.heapRequiredBytes(config(overrides));
        overrides.put("jvm.heap", ((needed + MIB - 1) / MIB) + "m");
        try (WeirProcess process = startAndCheckResidentSet("smallest heap " + Sizes.format(needed), overrides)) {
            final String answer = curlOrNull(process.port());
            assertTrue(process.isAlive(), "alive after ready:\n" + process.output());
            if (answer != null) {
                assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            }
        }
    }

    @Test
    void shouldAnswerCurlThroughTheLaunchedProxy() throws Exception {
        Assumptions.assumeTrue(curlInstalled(), "curl is not installed");
        try (WeirProcess process = WeirProcess.start(READY_DEADLINE, args(Map.of()))) {
            final String answer = curlOrNull(process.port());
            assertTrue(answer != null && answer.startsWith("HTTP/1.1 200 "), answer);
            assertTrue(answer.endsWith("\r\n\r\n" + DemoOrigin.ROOT_BODY), answer);
        }
    }

    private static boolean curlInstalled() {
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Path.of(dir, "curl").toFile().canExecute()) {
                return true;
            }
        }
        return false;
    }

    /** @return {@code curl -si http://127.0.0.1:PORT/}'s output, or {@code null} when curl is not installed. */
    private static String curlOrNull(final int port) throws IOException, InterruptedException {
        if (!curlInstalled()) {
            return null;
        }
        final Process curl = new ProcessBuilder("curl", "-si", "--max-time", "10", "http://127.0.0.1:" + port + "/")
            .redirectErrorStream(true).start();
        final byte[] out = curl.getInputStream().readAllBytes();
        assertTrue(curl.waitFor(15, TimeUnit.SECONDS), "curl finished");
        return new String(out, StandardCharsets.ISO_8859_1);
    }
}
