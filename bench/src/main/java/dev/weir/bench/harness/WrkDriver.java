package dev.weir.bench.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Drives load with wrk (Debian package {@code wrk}), one thread, pinned next to the origin; a Lua
 * {@code done()} hook prints the counts and the p50/p99/p99.9 that wrk's own summary lacks.
 */
final class WrkDriver implements LoadDriver {

    private static final String SCRIPT = String.join("\n",
        "done = function(summary, latency, requests)",
        "  local e = summary.errors",
        "  io.write(string.format('WEIRBENCH requests=%d duration_us=%d connect=%d read=%d write=%d status=%d'",
        "    .. ' timeout=%d\\n', summary.requests, summary.duration, e.connect, e.read, e.write, e.status,",
        "    e.timeout))",
        "  io.write(string.format('WEIRBENCH p50=%d p99=%d p999=%d max=%d\\n', latency:percentile(50),",
        "    latency:percentile(99), latency:percentile(99.9), latency.max))",
        "end", "");

    private final Path script;
    private final List<String> pin;

    WrkDriver(final Path tmp, final List<String> pin) throws IOException {
        this.script = tmp.resolve("weir-bench.lua");
        Files.writeString(script, SCRIPT, StandardCharsets.UTF_8);
        this.pin = pin;
    }

    @Override
    public String name() {
        return "wrk";
    }

    @Override
    public Sample run(final int port, final String path, final long bodyBytes, final int connections,
        final int seconds) throws Exception {
        final List<String> cmd = new ArrayList<>(pin);
        cmd.addAll(List.of("wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "--timeout", "5s",
            "-s", script.toString(), "http://127.0.0.1:" + port + path));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("wrk did not finish");
        }
        final Map<String, Long> v = new HashMap<>();
        for (final String line : out.split("\n")) {
            if (line.startsWith("WEIRBENCH ")) {
                for (final String kv : line.substring(10).trim().split(" ")) {
                    final int eq = kv.indexOf('=');
                    v.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
                }
            }
        }
        if (!v.containsKey("requests") || !v.containsKey("p50")) {
            throw new IOException("unexpected wrk output:\n" + out);
        }
        final Sample s = new Sample();
        s.seconds = v.get("duration_us") / 1e6;
        s.errors = v.get("connect") + v.get("read") + v.get("write") + v.get("status") + v.get("timeout");
        s.requests = v.get("requests") - v.get("status");
        s.requestsPerSecond = s.requests / s.seconds;
        s.p50Us = v.get("p50");
        s.p99Us = v.get("p99");
        s.p999Us = v.get("p999");
        s.maxUs = v.get("max");
        return s;
    }
}
