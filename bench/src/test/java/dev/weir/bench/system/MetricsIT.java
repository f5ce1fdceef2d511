package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.admin.AdminServer;
import dev.weir.arena.Arena;
import dev.weir.arena.plan.MemoryPlan;
import dev.weir.bench.support.PrometheusText;
import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.config.ConfigLoader;
import dev.weir.config.PlanBuilder;
import dev.weir.conn.TimeoutKind;
import dev.weir.stage.Pipeline;

/**
 * {@code /metrics} scraped from the admin listener and parsed by the Prometheus Python client's own parser: the
 * counters equal the requests sent, class by class, and the pool, upstream and plan figures equal what the
 * pipeline holds. Requests go one connection at a time (each awaited idle), so every high-water mark is exactly 1.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsIT {

    private static final String NOT_FOUND = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found";
    private static final int OK_REQUESTS = 6;
    /** Sent after the 502, on a new origin connection that then stays open and idle. */
    private static final int LATE_OK_REQUESTS = 1;
    private static final int NOT_FOUND_REQUESTS = 3;
    private static final int BAD_GATEWAY_REQUESTS = 1;
    private static final int BAD_REQUESTS = 2;

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;

    @Test
    void shouldExposeCountersThatMatchTheRequestsSentAndParseWithThePrometheusParser() throws Exception {
        final String python = PrometheusText.python();
        Assumptions.assumeTrue(python != null,
            "python3 with prometheus_client is not installed (apt-get install python3-prometheus-client)");
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.start((request, index, onConnection) ->
            request.path.equals("/missing") ? ScriptedOrigin.Reply.raw(NOT_FOUND, true)
                : request.path.equals("/garbage") ? ScriptedOrigin.Reply.raw("NOT HTTP\r\n\r\n", false)
                : ScriptedOrigin.Reply.ok(100)));
        final Pipeline pipeline = weir.start(c -> c.upstream("127.0.0.1", origin.port()));
        final MemoryPlan plan = PlanBuilder.build(pipeline.config());
        final AdminServer admin = weir.own(AdminServer.start("127.0.0.1", 0, pipeline, plan));

        try (RawHttp client = new RawHttp(pipeline.listenAddress().getPort())) {
            for (int i = 0; i < OK_REQUESTS; i++) {
                client.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(200, client.read(false).status);
            }
            for (int i = 0; i < NOT_FOUND_REQUESTS; i++) {
                client.send("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(404, client.read(false).status);
            }
        }
        WeirExtension.awaitIdle(pipeline);
        for (int i = 0; i < BAD_GATEWAY_REQUESTS; i++) {
            try (RawHttp client = new RawHttp(pipeline.listenAddress().getPort())) {
                client.send("GET /garbage HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(502, client.read(false).status);
            }
            WeirExtension.awaitIdle(pipeline);
        }
        for (int i = 0; i < BAD_REQUESTS; i++) {
            try (RawHttp client = new RawHttp(pipeline.listenAddress().getPort())) {
                client.send("GET /ok HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
                assertEquals(400, client.read(false).status);
            }
            WeirExtension.awaitIdle(pipeline);
        }

        for (int i = 0; i < LATE_OK_REQUESTS; i++) {
            try (RawHttp client = new RawHttp(pipeline.listenAddress().getPort())) {
                client.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(200, client.read(false).status);
            }
            WeirExtension.awaitIdle(pipeline);
        }

        final PrometheusText metrics = PrometheusText.parse(python, get(admin, "/metrics", 200));
        final int total = OK_REQUESTS + LATE_OK_REQUESTS + NOT_FOUND_REQUESTS + BAD_GATEWAY_REQUESTS + BAD_REQUESTS;
        assertEquals("counter", metrics.type("weir_requests_total"));
        assertEquals(OK_REQUESTS + LATE_OK_REQUESTS, metrics.value("weir_requests_total{status_class=2xx}"));
        assertEquals(NOT_FOUND_REQUESTS + BAD_REQUESTS, metrics.value("weir_requests_total{status_class=4xx}"));
        assertEquals(BAD_GATEWAY_REQUESTS, metrics.value("weir_requests_total{status_class=5xx}"));
        assertEquals(0, metrics.value("weir_requests_total{status_class=1xx}"));
        assertEquals(0, metrics.value("weir_requests_total{status_class=3xx}"));
        assertEquals(0, metrics.value("weir_requests_total{status_class=none}"));

        assertEquals("histogram", metrics.type("weir_request_duration_seconds_count"));
        assertEquals(total, metrics.value("weir_request_duration_seconds_count"));
        assertEquals(total, metrics.value("weir_request_duration_seconds_bucket{le=+Inf}"));
        assertTrue(metrics.value("weir_request_duration_seconds_bucket{le=10.0}") <= total);
        assertTrue(metrics.value("weir_request_duration_seconds_sum") > 0);

        for (final String pool : new String[] {"parse_blocks", "upstream_blocks", "slots"}) {
            final String labels = "{pool=" + pool + ",thread=weir-accept}";
            assertEquals(64, metrics.value("weir_pool_capacity" + labels), pool);
            assertEquals(0, metrics.value("weir_pool_in_use" + labels), pool);
            assertEquals(1, metrics.value("weir_pool_high_water_mark" + labels), pool);
            assertEquals(0, metrics.value("weir_pool_failed_acquisitions_total" + labels), pool);
        }
        final String originPool = "{pool=origin_connections,thread=weir-fused-0}";
        assertEquals(64, metrics.value("weir_pool_capacity" + originPool));
        assertEquals(0, metrics.value("weir_pool_in_use" + originPool));
        assertEquals(1, metrics.value("weir_pool_high_water_mark" + originPool));
        assertEquals(0, metrics.value("weir_pool_failed_acquisitions_total" + originPool));

        // Per server: one origin connection served every forwarded request, kept alive between them, until the
        // garbage answer (a failure of the server) got it dropped; the late request opened a second one, now open
        // and idle. A group of one server is never ejected.
        final String server = "{group=default,upstream=127.0.0.1:" + origin.port() + "}";
        assertEquals(2, origin.connections());
        final int forwarded = OK_REQUESTS + LATE_OK_REQUESTS + NOT_FOUND_REQUESTS + BAD_GATEWAY_REQUESTS;
        assertEquals(forwarded, origin.requests());
        assertEquals(forwarded, metrics.value("weir_upstream_requests_total" + server));
        assertEquals(BAD_GATEWAY_REQUESTS, metrics.value("weir_upstream_failures_total" + server));
        assertEquals(0, metrics.value("weir_upstream_ejections_total" + server));
        assertEquals(0, metrics.value("weir_upstream_retries_total" + server));
        assertEquals(1, metrics.value("weir_upstream_healthy" + server));
        assertEquals(pipeline.upstreamConnectionsOpen(), metrics.value("weir_upstream_connections_open" + server));
        assertEquals(1, metrics.value("weir_upstream_connections_open" + server));
        assertEquals(1, metrics.value("weir_upstream_connections_idle" + server));
        assertEquals(0, metrics.value("weir_upstream_connections_busy" + server));
        assertEquals(0, metrics.value("weir_origin_queued{thread=weir-fused-0}"));
        assertEquals(0, metrics.value("weir_origin_waits_total{thread=weir-fused-0}"));

        for (int kind = 0; kind < TimeoutKind.COUNT; kind++) {
            assertEquals(0, metrics.value("weir_timeouts_total{kind=" + TimeoutKind.name(kind) + "}"));
        }
        assertEquals(0, metrics.value("weir_retries_total"));
        assertEquals(0, metrics.value("weir_rejected_connections_total"));
        assertEquals(0, metrics.value("weir_bugs_total"));
        assertEquals(0, metrics.value("weir_draining"));
        assertEquals(plan.totalBytes(), metrics.value("weir_plan_bytes{kind=total}"));
        assertEquals(plan.committedBytes(), metrics.value("weir_plan_bytes{kind=committed}"));
        for (final Arena arena : pipeline.arenas()) {
            assertEquals(arena.capacityBytes(),
                metrics.value("weir_arena_committed_bytes{arena=" + arena.name() + "}"));
        }
        for (final String stage : new String[] {"stage=accept,thread=weir-accept", "stage=parse,thread=weir-fused-0",
            "stage=upstream,thread=weir-fused-0", "stage=write,thread=weir-write-0"}) {
            assertTrue(metrics.value("weir_stage_turns_total{" + stage + "}") > 0, stage);
            assertEquals(0, metrics.value("weir_stage_halves_held{" + stage + "}"), stage);
            assertEquals(0, metrics.value("weir_stage_ring_depth{" + stage + "}"), stage);
            assertTrue(metrics.value("weir_stage_wakeups_total{" + stage + "}") >= 0, stage);
            assertTrue(metrics.value("weir_stage_idle_yields_total{" + stage + "}") >= 0, stage);
        }
        assertTrue(metrics.value("weir_gc_collections_total") >= 0);
        assertTrue(metrics.value("weir_stage_allocated_bytes_total") >= 0);

        assertEndpoints(python, admin, plan);
    }

    @Test
    void shouldReportEachServerOfAGroupUnderItsOwnLabels() throws Exception {
        final String python = PrometheusText.python();
        Assumptions.assumeTrue(python != null,
            "python3 with prometheus_client is not installed (apt-get install python3-prometheus-client)");
        final ScriptedOrigin first = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.ok(10)));
        final ScriptedOrigin second = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.ok(10)));
        final Pipeline pipeline = weir.start(builder -> ConfigLoader.readYaml("upstreams:\n  api: {servers: [127.0.0.1:"
            + first.port() + ", 127.0.0.1:" + second.port() + "]}\n", "MetricsIT", builder));
        final AdminServer admin = weir.own(AdminServer.start("127.0.0.1", 0, pipeline,
            PlanBuilder.build(pipeline.config())));
        final int requests = 8;
        try (RawHttp client = new RawHttp(pipeline.listenAddress().getPort())) {
            for (int i = 0; i < requests; i++) {
                client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(200, client.read(false).status);
            }
        }
        WeirExtension.awaitIdle(pipeline);
        final PrometheusText metrics = PrometheusText.parse(python, get(admin, "/metrics", 200));
        double sum = 0;
        for (final ScriptedOrigin origin : new ScriptedOrigin[] {first, second}) {
            final String server = "{group=api,upstream=127.0.0.1:" + origin.port() + "}";
            assertEquals(origin.requests(), metrics.value("weir_upstream_requests_total" + server), server);
            assertTrue(origin.requests() > 0, "round-robin sends to both: " + server);
            assertEquals(1, metrics.value("weir_upstream_healthy" + server), server);
            assertEquals(0, metrics.value("weir_upstream_failures_total" + server), server);
            assertEquals(origin.openConnections() > 0 ? 1 : 0,
                metrics.value("weir_upstream_connections_idle" + server), server);
            sum += metrics.value("weir_upstream_requests_total" + server);
        }
        assertEquals(requests, sum);
        assertEquals(requests, metrics.value("weir_requests_total{status_class=2xx}"));
    }

    @Test
    void shouldCountAccessLogRecordsAndReopenTheLogOnPost() throws Exception {
        final String python = PrometheusText.python();
        Assumptions.assumeTrue(python != null,
            "python3 with prometheus_client is not installed (apt-get install python3-prometheus-client)");
        final java.nio.file.Path log = dir.resolve("access.log");
        final Pipeline pipeline = weir.start(c -> c.accessLogPath(log.toString()));
        final AdminServer admin = weir.own(AdminServer.start("127.0.0.1", 0, pipeline,
            PlanBuilder.build(pipeline.config())));
        final int requests = 3;
        try (RawHttp client = new RawHttp(pipeline.listenAddress().getPort())) {
            for (int i = 0; i < requests; i++) {
                client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(200, client.read(false).status);
            }
        }
        WeirExtension.awaitIdle(pipeline);
        ScriptedOrigin.await("3 lines written", () -> pipeline.accessLog().written() == requests, 10_000);
        final PrometheusText metrics = PrometheusText.parse(python, get(admin, "/metrics", 200));
        assertEquals(requests, metrics.value("weir_access_log_records_total"));
        assertEquals(requests, metrics.value("weir_access_log_written_total"));
        assertEquals(0, metrics.value("weir_access_log_dropped_total"));
        assertEquals(0, metrics.value("weir_access_log_lost_total"));
        assertEquals(0, metrics.value("weir_access_log_reopens_total"));

        final java.nio.file.Path rotated = dir.resolve("access.log.1");
        java.nio.file.Files.move(log, rotated);
        assertEquals(202, send(admin, HttpRequest.newBuilder(uri(admin, "/access-log/reopen"))
            .POST(HttpRequest.BodyPublishers.noBody())).statusCode());
        assertEquals(405, send(admin, HttpRequest.newBuilder(uri(admin, "/access-log/reopen"))).statusCode());
        ScriptedOrigin.await("the log reopened", () -> pipeline.accessLog().reopens() == 1, 10_000);
        try (RawHttp client = new RawHttp(pipeline.listenAddress().getPort())) {
            client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(200, client.read(false).status);
        }
        ScriptedOrigin.await("the next line in the new file", () -> lines(log) == 1, 10_000);
        assertEquals(requests, lines(rotated));
        assertEquals(1, PrometheusText.parse(python, get(admin, "/metrics", 200))
            .value("weir_access_log_reopens_total"));
    }

    private static long lines(final java.nio.file.Path file) {
        try (java.util.stream.Stream<String> lines = java.nio.file.Files.lines(file)) {
            return lines.count();
        } catch (final IOException e) {
            return -1;
        }
    }

    /** {@code /health}, {@code /plan} (parsed by Python's json), HEAD, and 404 and 405 off the three paths. */
    private static void assertEndpoints(final String python, final AdminServer admin, final MemoryPlan plan)
        throws IOException, InterruptedException {
        assertEquals("ready\n", get(admin, "/health", 200));
        final String planJson = get(admin, "/plan", 200);
        assertTrue(planJson.startsWith("{\"total_bytes\":" + plan.totalBytes() + ",\"committed_bytes\":"
            + plan.committedBytes() + ",\"rows\":["), planJson);
        assertJson(python, planJson, plan);
        final HttpResponse<String> head = send(admin, HttpRequest.newBuilder(uri(admin, "/health"))
            .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        get(admin, "/nothing", 404);
        get(admin, "/metrics/more", 404);
        // The absolute form, as a client speaking to a proxy sends it, and a query, both name the same resource.
        try (RawHttp raw = new RawHttp(admin.address().getPort())) {
            raw.send("GET http://127.0.0.1:" + admin.address().getPort() + "/health?probe=1 HTTP/1.1\r\n\r\n");
            assertEquals("ready\n", raw.read(false).text());
        }
        assertEquals(405, send(admin, HttpRequest.newBuilder(uri(admin, "/metrics"))
            .POST(HttpRequest.BodyPublishers.ofString("x"))).statusCode());
    }

    private static void assertJson(final String python, final String json, final MemoryPlan plan)
        throws IOException, InterruptedException {
        final Process check = new ProcessBuilder(python, "-c",
            "import json, sys; p = json.load(sys.stdin); print(p['total_bytes'], len(p['rows']),"
                + " sum(r['bytes'] for r in p['rows'] if r['counts_in_total']))").start();
        try (var in = check.getOutputStream()) {
            in.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        final String out = new String(check.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
            .trim();
        assertTrue(check.waitFor(30, TimeUnit.SECONDS));
        assertEquals(plan.totalBytes() + " " + plan.rows().size() + " " + plan.totalBytes(), out);
    }

    private static URI uri(final AdminServer admin, final String path) {
        return URI.create("http://127.0.0.1:" + admin.address().getPort() + path);
    }

    private static HttpResponse<String> send(final AdminServer admin, final HttpRequest.Builder request)
        throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String get(final AdminServer admin, final String path, final int status)
        throws IOException, InterruptedException {
        final HttpResponse<String> response = send(admin, HttpRequest.newBuilder(uri(admin, path)));
        assertEquals(status, response.statusCode(), path + ": " + response.body());
        return response.body();
    }
}
