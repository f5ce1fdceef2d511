package dev.weir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import dev.weir.arena.plan.MemoryPlan;
import dev.weir.arena.plan.PlanItem;
import dev.weir.config.ConfigLoader;
import dev.weir.config.PlanBuilder;
import dev.weir.config.Sizes;
import dev.weir.config.StageSizes;
import dev.weir.config.WeirConfig;

class PlanFormatTest {

    private static final WeirConfig DEFAULTS = WeirConfig.builder().build();
    private static final MemoryPlan DEFAULT_PLAN = PlanBuilder.build(DEFAULTS);

    private static MemoryPlan planOf(final long bytes) {
        return new MemoryPlan(List.of(new PlanItem("arena", bytes, PlanItem.Kind.COMMITTED, "test")));
    }

    /** stdout of {@code weir ARGS}, or an AssertionError with stderr when the exit code is not {@code code}. */
    private static String[] run(final int code, final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Weir.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), () -> {
                throw new AssertionError("--plan must not read the host");
            });
        assertEquals(code, exit, err.toString(StandardCharsets.UTF_8));
        return new String[] {out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void shouldRoundTheMemoryFigureUpToAWholeMibAndNeverBelowThePlan() {
        assertEquals(665, PlanFormat.memoryMib(DEFAULT_PLAN), "664.6 MiB");
        assertEquals(1, PlanFormat.memoryMib(planOf(1)));
        assertEquals(512, PlanFormat.memoryMib(planOf(512 * Sizes.MIB)));
        assertEquals(513, PlanFormat.memoryMib(planOf(512 * Sizes.MIB + 1)));
        assertTrue(PlanFormat.memoryMib(DEFAULT_PLAN) * Sizes.MIB >= DEFAULT_PLAN.totalBytes());
    }

    @Test
    void shouldPrintAKubernetesResourcesBlockWithRequestsEqualToLimits() {
        final String text = PlanFormat.k8s(DEFAULTS, DEFAULT_PLAN, "built-in defaults");
        final Object doc = new Load(LoadSettings.builder().build()).loadFromString(text);
        final Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("cpu", "3");
        expected.put("memory", "665Mi");
        assertEquals(Map.of("resources", Map.of("requests", expected, "limits", expected)), doc, text);
        assertTrue(text.startsWith("# weir plan (built-in defaults): total " + DEFAULT_PLAN.totalBytes() + " bytes"),
            text);
    }

    @Test
    void shouldGiveOneCorePerStageThread() {
        final WeirConfig threaded = WeirConfig.builder().parseThreads(2).upstreamThreads(3).build();
        assertEquals(7, PlanFormat.cores(threaded));
        assertTrue(PlanFormat.k8s(threaded, PlanBuilder.build(threaded), "x").contains("cpu: \"7\"\n"));
        // The access log's thread formats and writes every line: it gets a core too.
        final WeirConfig logging = ConfigLoader.load(null, Map.of("access-log.path", "-"));
        assertEquals(4, PlanFormat.cores(logging));
        assertTrue(PlanFormat.k8s(logging, PlanBuilder.build(logging), "x").contains("cpu: \"4\"\n"));
    }

    @Test
    void shouldPrintTheSystemdServiceLinesFromThePlan() {
        final String text = PlanFormat.systemd(DEFAULTS, DEFAULT_PLAN, "built-in defaults");
        final Map<String, String> lines = new LinkedHashMap<>();
        for (final String line : text.split("\n")) {
            if (!line.startsWith("#")) {
                lines.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        assertEquals(Map.of("MemoryMax", "665M", "MemorySwapMax", "0", "LimitNOFILE",
            Long.toString(StageSizes.fileDescriptorCount(DEFAULTS)), "LimitMEMLOCK", "infinity"), lines, text);
    }

    @Test
    void shouldPrintEachFormatFromTheCommandLineAndKeepTextTheDefault() {
        final String text = run(Weir.EXIT_OK, "--plan")[0];
        assertEquals(text, run(Weir.EXIT_OK, "--plan", "--format", "text")[0]);
        assertTrue(text.startsWith("weir memory plan (built-in defaults)\n"), text);
        assertEquals(PlanFormat.k8s(DEFAULTS, DEFAULT_PLAN, "built-in defaults"),
            run(Weir.EXIT_OK, "--plan", "--format", "k8s")[0]);
        assertEquals(PlanFormat.systemd(DEFAULTS, DEFAULT_PLAN, "built-in defaults"),
            run(Weir.EXIT_OK, "--format", "systemd", "--plan")[0]);
        final WeirConfig budget = WeirConfig.builder().connections(2000).build();
        assertTrue(run(Weir.EXIT_OK, "--plan", "--format", "k8s", "--connections", "2000")[0]
            .contains("memory: " + PlanFormat.memoryMib(PlanBuilder.build(budget)) + "Mi\n"));
    }

    @Test
    void shouldRejectAnUnknownFormatAndAFormatWithoutPlanInOneLine() {
        assertEquals("weir: --format: must be text, k8s or systemd (got 'helm')\n",
            run(Weir.EXIT_BAD_CONFIG, "--plan", "--format", "helm")[1]);
        assertEquals("weir: --format: goes with --plan, e.g. --plan --format k8s\n",
            run(Weir.EXIT_BAD_CONFIG, "--format", "k8s")[1]);
    }
}
