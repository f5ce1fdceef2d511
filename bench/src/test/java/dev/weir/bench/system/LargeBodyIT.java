package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.arena.plan.MemoryPlan;
import dev.weir.bench.http.BodyPattern;
import dev.weir.bench.support.PatternInputStream;
import dev.weir.bench.support.ProcMemory;
import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.RssSampler;
import dev.weir.bench.support.WeirProcess;
import dev.weir.config.ConfigLoader;
import dev.weir.config.PlanBuilder;
import dev.weir.stage.Pipeline;

/**
 * Bodies far larger than any buffer stream through fixed blocks: a 256 MiB download and upload through a real
 * {@code bin/weir} process, checksummed, while its resident set stays flat and within its plan; and a client
 * that leaves in the middle of a 256 MiB response gives its slot back.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LargeBodyIT {

    private static final long BODY_BYTES = 256L * 1024 * 1024;
    private static final long MIB = 1024 * 1024;
    /** How far the resident set may rise over its value at "ready": JIT-compiled code, malloc arenas. */
    private static final long RSS_GROWTH_ALLOWANCE_BYTES = 32 * MIB;
    private static final int READ_BYTES = 64 * 1024;

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    @Test
    void shouldStream256MibDownAndUpThroughBinWeirWithoutGrowingItsResidentSet() throws Exception {
        Assumptions.assumeTrue(ProcMemory.available(), "needs /proc");
        final String upstream = "127.0.0.1:" + weir.origin().port();
        final MemoryPlan plan = PlanBuilder.build(ConfigLoader.load(WeirProcess.root().resolve("conf/weir.yaml"),
            Map.of("accept.listen", "127.0.0.1:0", "upstream.address", upstream)));
        try (WeirProcess weirProcess = WeirProcess.start(java.time.Duration.ofSeconds(60), "--listen",
            "127.0.0.1:0", "--upstream", upstream)) {
            final long pid = weirProcess.pid();
            final long atReady = ProcMemory.rssBytes(pid);
            final String base = "http://127.0.0.1:" + weirProcess.port();
            try (RssSampler sampler = RssSampler.start(pid, 10)) {
                final long downStart = System.nanoTime();
                download(URI.create(base + "/bytes/" + BODY_BYTES));
                final long downMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - downStart);

                final long upStart = System.nanoTime();
                final PatternInputStream body = new PatternInputStream(BODY_BYTES);
                final HttpResponse<String> answer = weir.client().send(HttpRequest.newBuilder(
                    URI.create(base + "/sha256")).POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> body), BODY_BYTES)).build(),
                    HttpResponse.BodyHandlers.ofString());
                final long upMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - upStart);
                assertEquals(200, answer.statusCode(), answer.body());
                assertEquals(BODY_BYTES, body.position(), "bytes sent");
                assertEquals("length=" + BODY_BYTES + " sha256=" + body.sha256Hex() + "\n", answer.body(),
                    "the origin's checksum of the upload");

                final long peak = Math.max(sampler.peakBytes(), ProcMemory.rssBytes(pid));
                final long hwm = ProcMemory.hwmBytes(pid);
                System.out.printf("weir-it large bodies: 256 MiB down in %d ms, up in %d ms; VmRSS at ready %.1f MiB,"
                    + " peak sampled %.1f MiB (+%.1f MiB, %d samples), VmHWM %.1f MiB, plan total %.1f MiB%n",
                    downMs, upMs, atReady / (double) MIB, peak / (double) MIB, (peak - atReady) / (double) MIB,
                    sampler.samples(), hwm / (double) MIB, plan.totalBytes() / (double) MIB);
                assertTrue(sampler.samples() > 10, "the resident set was sampled during the transfers");
                assertTrue(hwm <= plan.totalBytes(), "VmHWM " + hwm + " above the plan total " + plan.totalBytes());
                assertTrue(peak - atReady <= RSS_GROWTH_ALLOWANCE_BYTES, "VmRSS rose from " + atReady + " at ready"
                    + " to " + peak + " while 512 MiB of bodies went through: memory grew with the body");
            }
        }
    }

    /** Reads a whole pattern body, checking every byte as it arrives; nothing is kept. */
    private void download(final URI uri) throws Exception {
        final HttpResponse<InputStream> response = weir.client().send(HttpRequest.newBuilder(uri).build(),
            HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        assertEquals(List.of(Long.toString(BODY_BYTES)), response.headers().allValues("content-length"));
        final MessageDigest received = PatternInputStream.newSha256();
        final byte[] buffer = new byte[READ_BYTES];
        long offset = 0;
        try (InputStream in = response.body()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                final long wrong = BodyPattern.mismatch(buffer, 0, n, offset);
                assertEquals(-1, wrong, "first wrong byte of the download");
                received.update(buffer, 0, n);
                offset += n;
            }
        }
        assertEquals(BODY_BYTES, offset, "bytes downloaded");
        final PatternInputStream expected = new PatternInputStream(BODY_BYTES);
        while (expected.read(buffer, 0, buffer.length) > 0) {
            // Digest the pattern as the origin generated it.
        }
        assertEquals(expected.sha256Hex(), PatternInputStream.hex(received.digest()), "SHA-256 of the download");
    }

    @Test
    void shouldFreeTheSlotWhenTheClientLeavesInTheMiddleOfA256MibResponse() throws Exception {
        final Pipeline pipeline = weir.pipeline();
        try (RawHttp http = new RawHttp(weir.port())) {
            http.send("GET /bytes/" + BODY_BYTES + " HTTP/1.1\r\nHost: weir\r\n\r\n");
            final byte[] first = http.readExactly(1024 * 1024);
            assertTrue(new String(first, 0, 16, java.nio.charset.StandardCharsets.ISO_8859_1)
                .startsWith("HTTP/1.1 200 "));
            assertTrue(pipeline.slotsInUse() == 1, "the response is still streaming: " + pipeline.describePools());
        }
        // The leak check after the test proves the slot, its blocks and the origin connection came back;
        // waiting here too shows the pipeline serves the next client afterwards.
        WeirExtension.awaitIdle(pipeline);
        final HttpResponse<byte[]> next = weir.client().send(HttpRequest.newBuilder(weir.uri("/bytes/1000")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, next.statusCode());
        assertEquals(-1, BodyPattern.mismatch(next.body(), 0, 1000, 0));
    }
}
