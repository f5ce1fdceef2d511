package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.PlanFormat;
import dev.weir.bench.support.WeirProcess;
import dev.weir.config.ConfigLoader;
import dev.weir.config.PlanBuilder;

/**
 * Builds the image from the repository's {@code Dockerfile} with {@code docker} or {@code podman}, then runs it:
 * {@code --plan --format k8s} inside the image prints the memory figure computed here for
 * {@code deploy/weir.yaml}, and the image's user is not root. Skipped, with the reason, where neither runtime
 * answers {@code info} (a client without a daemon, or none at all). The first build downloads the base images
 * and every Maven dependency, hence the long timeout.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class ContainerImageIT {

    private static final String TAG = "weir:it";

    /** Exit code and output of one command. */
    private static final class Outcome {
        private final int code;
        private final String out;

        Outcome(final int code, final String out) {
            this.code = code;
            this.out = out;
        }
    }

    private static Outcome run(final long timeoutS, final String... command) throws InterruptedException {
        final Path log;
        try {
            log = Files.createTempFile("weir-container", ".log");
        } catch (final IOException e) {
            throw new AssertionError(e);
        }
        try {
            final Process p = new ProcessBuilder(command).directory(WeirProcess.root().toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Outcome(-1, String.join(" ", command) + ": no answer within " + timeoutS + " s");
            }
            return new Outcome(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } catch (final IOException e) {
            return new Outcome(-1, String.join(" ", command) + ": " + e.getMessage());
        } finally {
            log.toFile().delete();
        }
    }

    /** The first of docker and podman whose {@code info} succeeds; else the test is skipped with both reasons. */
    private static String runtime() throws InterruptedException {
        final List<String> reasons = new ArrayList<>();
        for (final String candidate : List.of("docker", "podman")) {
            final Outcome info = run(30, candidate, "info");
            if (info.code == 0) {
                return candidate;
            }
            final String[] lines = info.out.trim().split("\n");
            reasons.add(candidate + ": " + lines[lines.length - 1]);
        }
        Assumptions.abort("no container runtime to build the image with (" + String.join("; ", reasons) + ")");
        return null;
    }

    @Test
    void shouldBuildTheImageAndPrintTheShippedPlanFromIt() throws Exception {
        final String runtime = runtime();
        final Outcome build = run(TimeUnit.MINUTES.toSeconds(25), runtime, "build", "-t", TAG, ".");
        assertEquals(0, build.code, build.out);
        final Outcome plan = run(120, runtime, "run", "--rm", TAG, "--plan", "--config", "/etc/weir/weir.yaml",
            "--format", "k8s");
        assertEquals(0, plan.code, plan.out);
        final long mib = PlanFormat.memoryMib(PlanBuilder.build(
            ConfigLoader.load(WeirProcess.root().resolve("deploy/weir.yaml"), Map.of())));
        assertTrue(plan.out.contains("memory: " + mib + "Mi\n"), plan.out);
        final Outcome user = run(60, runtime, "run", "--rm", "--entrypoint", "id", TAG, "-u");
        assertEquals(0, user.code, user.out);
        assertTrue(!user.out.trim().equals("0"), "the image runs as a non-root user: uid " + user.out.trim());
    }
}
