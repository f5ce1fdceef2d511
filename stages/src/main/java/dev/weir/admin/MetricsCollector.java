package dev.weir.admin;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import dev.weir.arena.Arena;
import dev.weir.arena.PoolCounters;
import dev.weir.arena.ProcessStatus;
import dev.weir.arena.plan.MemoryPlan;
import dev.weir.conn.ConnectionState;
import dev.weir.conn.TimeoutKind;
import dev.weir.log.AccessLog;
import dev.weir.stage.ExchangeMetrics;
import dev.weir.stage.LargeSendBuffers;
import dev.weir.stage.Pipeline;
import dev.weir.stage.StageView;
import dev.weir.upstream.UpstreamPool;
import dev.weir.upstream.UpstreamServer;

/**
 * Builds the Prometheus snapshot of a running pipeline from the counters its stages publish, at scrape time,
 * on the caller's (admin) thread. Names, labels and meanings are listed in the README ("Metrics").
 * <p>
 * <b>Note:</b> allocates freely, on the admin thread only; reads every counter with an acquire load and never
 * waits for a stage. The figures of one scrape are not one atomic snapshot: each is at least as new as the
 * stage's last release store before the read.
 */
public final class MetricsCollector {

    /** The stages with an admission gate in front, and their label. */
    private static final int[] GATED_OWNERS = {
        ConnectionState.OWNER_PARSE, ConnectionState.OWNER_UPSTREAM, ConnectionState.OWNER_WRITE,
    };
    private static final String[] GATED_STAGES = {"parse", "upstream", "write"};

    private static final String[] STATUS_CLASS_NAMES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

    private final Pipeline pipeline;
    private final MemoryPlan plan;

    /**
     * @param pipeline the running pipeline.
     * @param plan     its memory plan.
     */
    public MetricsCollector(final Pipeline pipeline, final MemoryPlan plan) {
        this.pipeline = pipeline;
        this.plan = plan;
    }

    /** @return every metric, read now. */
    public MetricSnapshots collect() {
        final MetricSnapshots.Builder all = MetricSnapshots.builder();
        stages(all);
        pools(all);
        exchanges(all);
        totals(all);
        upstreams(all);
        accessLog(all);
        jvm(all);
        return all.build();
    }

    private void stages(final MetricSnapshots.Builder all) {
        final GaugeSnapshot.Builder held = gauge("weir_stage_halves_held",
            "Connection halves (request or response) whose state this stage thread owns now.");
        final GaugeSnapshot.Builder depth = gauge("weir_stage_ring_depth",
            "Entries waiting in this stage thread's inbox ring now.");
        final CounterSnapshot.Builder turns = counter("weir_stage_turns",
            "Turns of this stage thread's loop (doWork passes), busy or idle.");
        final CounterSnapshot.Builder wakeups = counter("weir_stage_wakeups",
            "Selector wakeups producers paid to end this stage thread's sleep.");
        final CounterSnapshot.Builder errors = counter("weir_stage_errors",
            "Failures that closed a connection, on this stage thread.");
        final CounterSnapshot.Builder yields = counter("weir_stage_idle_yields",
            "Times this stage thread yielded its core before sleeping (idle-yields); a fused thread counts its"
                + " yields on its parse stage.");
        for (final StageView stage : pipeline.stageViews()) {
            final Labels labels = Labels.of("stage", stage.stage(), "thread", stage.thread());
            held.dataPoint(gaugePoint(labels, stage.halvesHeld()));
            depth.dataPoint(gaugePoint(labels, stage.ringDepth()));
            turns.dataPoint(counterPoint(labels, stage.counters().turns()));
            wakeups.dataPoint(counterPoint(labels, stage.wakeups()));
            errors.dataPoint(counterPoint(labels, stage.counters().errors()));
            yields.dataPoint(counterPoint(labels, stage.counters().idleYields()));
        }
        all.metricSnapshot(held.build()).metricSnapshot(depth.build()).metricSnapshot(turns.build())
            .metricSnapshot(wakeups.build()).metricSnapshot(errors.build()).metricSnapshot(yields.build());
    }

    private void pools(final MetricSnapshots.Builder all) {
        final GaugeSnapshot.Builder capacity = gauge("weir_pool_capacity", "Units in the pool, fixed at startup.");
        final GaugeSnapshot.Builder inUse = gauge("weir_pool_in_use", "Units taken from the pool now.");
        final GaugeSnapshot.Builder high = gauge("weir_pool_high_water_mark", "Most units taken at once since start.");
        final CounterSnapshot.Builder failed = counter("weir_pool_failed_acquisitions",
            "Takes that found the pool empty (a 503 for blocks and slots; a queued request for origin connections).");
        // The accept thread owns the block pools and the slot table.
        final String owner = threadsOf("accept").get(0);
        pool(capacity, inUse, high, failed, "parse_blocks", owner, pipeline.parseBlocks().counters());
        pool(capacity, inUse, high, failed, "upstream_blocks", owner, pipeline.upstreamBlocks().counters());
        pool(capacity, inUse, high, failed, "slots", owner, pipeline.slots().counters());
        final List<UpstreamPool> origins = pipeline.upstreamPools();
        final List<String> upstreamThreads = threadsOf("upstream");
        for (int i = 0; i < origins.size(); i++) {
            pool(capacity, inUse, high, failed, "origin_connections", upstreamThreads.get(i),
                origins.get(i).counters());
        }
        // Taken by every write thread, given back by any stage thread that resets a connection: no one owner.
        final LargeSendBuffers grants = pipeline.largeSendBuffers();
        final Labels shared = Labels.of("pool", "large_send_buffers", "thread", "all");
        capacity.dataPoint(gaugePoint(shared, grants.capacity()));
        inUse.dataPoint(gaugePoint(shared, grants.inUse()));
        high.dataPoint(gaugePoint(shared, grants.highWaterMark()));
        failed.dataPoint(counterPoint(shared, grants.failedAcquisitions()));
        all.metricSnapshot(capacity.build()).metricSnapshot(inUse.build()).metricSnapshot(high.build())
            .metricSnapshot(failed.build());
        all.metricSnapshot(single(counter("weir_send_buffers_grown",
            "Client send buffers grown to socket.large-response-buffer for a large response."), grants.taken()));
        final GaugeSnapshot.Builder committed = gauge("weir_arena_committed_bytes",
            "Bytes of the arena committed (written) at startup.");
        for (final Arena arena : pipeline.arenas()) {
            committed.dataPoint(gaugePoint(Labels.of("arena", arena.name()), arena.capacityBytes()));
        }
        all.metricSnapshot(committed.build());
    }

    private static void pool(final GaugeSnapshot.Builder capacity, final GaugeSnapshot.Builder inUse,
        final GaugeSnapshot.Builder high, final CounterSnapshot.Builder failed, final String pool, final String owner,
        final PoolCounters counters) {
        final Labels labels = Labels.of("pool", pool, "thread", owner);
        capacity.dataPoint(gaugePoint(labels, counters.capacity()));
        inUse.dataPoint(gaugePoint(labels, counters.inUse()));
        high.dataPoint(gaugePoint(labels, counters.highWaterMark()));
        failed.dataPoint(counterPoint(labels, counters.failedAcquisitions()));
    }

    private void exchanges(final MetricSnapshots.Builder all) {
        final long[] classes = new long[ExchangeMetrics.STATUS_CLASSES];
        final long[] buckets = new long[ExchangeMetrics.BUCKETS + 1];
        long sumNanos = 0;
        for (final ExchangeMetrics metrics : pipeline.exchangeMetrics()) {
            for (int c = 0; c < classes.length; c++) {
                classes[c] += metrics.exchanges(c);
            }
            for (int b = 0; b < buckets.length; b++) {
                buckets[b] += metrics.bucket(b);
            }
            sumNanos += metrics.latencySumNanos();
        }
        final CounterSnapshot.Builder requests = counter("weir_requests",
            "Exchanges ended, by the class of the status the client was sent (none: no status was sent).");
        for (int c = 0; c < classes.length; c++) {
            requests.dataPoint(counterPoint(Labels.of("status_class", STATUS_CLASS_NAMES[c]), classes[c]));
        }
        all.metricSnapshot(requests.build());
        final double[] bounds = new double[buckets.length];
        for (int b = 0; b < ExchangeMetrics.BUCKETS; b++) {
            bounds[b] = ExchangeMetrics.bucketBoundSeconds(b);
        }
        bounds[ExchangeMetrics.BUCKETS] = Double.POSITIVE_INFINITY;
        all.metricSnapshot(HistogramSnapshot.builder().name("weir_request_duration_seconds")
            .help("From a request's first byte to the end of its exchange (response written or connection ended).")
            .dataPoint(HistogramDataPointSnapshot.builder()
                .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, buckets))
                .sum(sumNanos / 1e9).build())
            .build());
    }

    private void totals(final MetricSnapshots.Builder all) {
        final CounterSnapshot.Builder timeouts = counter("weir_timeouts", "Deadlines that expired, by kind.");
        for (int kind = 0; kind < TimeoutKind.COUNT; kind++) {
            timeouts.dataPoint(counterPoint(Labels.of("kind", TimeoutKind.name(kind)), pipeline.expirations(kind)));
        }
        all.metricSnapshot(timeouts.build());
        all.metricSnapshot(single(counter("weir_retries",
            "Requests sent again: on a fresh connection after a reused one failed, or to another server after a"
                + " connect failed."), pipeline.retries()));
        all.metricSnapshot(single(counter("weir_resets",
            "Client connections reset so a truncated response could not pass for a whole one."), pipeline.resets()));
        all.metricSnapshot(single(counter("weir_rejected_connections",
            "Connections answered 503 because a slot or block pool was empty: shed from the listen backlog after"
                + " accept.queue-timeout."), pipeline.rejectedConnections()));
        all.metricSnapshot(single(counter("weir_accept_pauses",
            "Times accepting paused because a slot or block pool was empty, leaving new connections in the listen"
                + " backlog."), pipeline.acceptPauses()));
        all.metricSnapshot(single(counter("weir_connections_idle_reclaimed",
            "Idle keep-alive connections closed, oldest first, so their slots could seat connections waiting in the"
                + " listen backlog."), pipeline.idleReclaimed()));
        final CounterSnapshot.Builder overloaded = counter("weir_overloaded_requests",
            "Work answered 503 because the admission gate in front of a stage was closed (its inbox delay passed"
                + " admission.queue-delay, or its thread stalled): new connections for parse, new requests for"
                + " upstream and write.");
        final GaugeSnapshot.Builder delay = gauge("weir_stage_queue_delay_seconds",
            "How long the last hand-off a stage thread's gate measured waited in its inbox, the longest of the"
                + " stage's threads.");
        for (int i = 0; i < GATED_OWNERS.length; i++) {
            final Labels stage = Labels.of("stage", GATED_STAGES[i]);
            overloaded.dataPoint(counterPoint(stage, pipeline.overloadedRequests(GATED_OWNERS[i])));
            delay.dataPoint(gaugePoint(stage, pipeline.queueDelayNs(GATED_OWNERS[i]) / 1e9));
        }
        all.metricSnapshot(overloaded.build());
        all.metricSnapshot(delay.build());
        all.metricSnapshot(single(counter("weir_errors", "Failures that closed a connection, every stage."),
            pipeline.connectionErrors()));
        all.metricSnapshot(single(counter("weir_bugs", "Unexpected exceptions on the stage threads: bugs."),
            pipeline.bugs()));
        all.metricSnapshot(GaugeSnapshot.builder().name("weir_draining")
            .help("1 while draining after SIGTERM or SIGINT, else 0.")
            .dataPoint(gaugePoint(Labels.EMPTY, pipeline.isDraining() ? 1 : 0)).build());
        all.metricSnapshot(gauge("weir_plan_bytes", "The memory plan: total, and the part committed at startup.")
            .dataPoint(gaugePoint(Labels.of("kind", "total"), plan.totalBytes()))
            .dataPoint(gaugePoint(Labels.of("kind", "committed"), plan.committedBytes())).build());
        final ProcessStatus.Resident resident = ProcessStatus.resident();
        all.metricSnapshot(gauge("weir_process_resident_bytes",
            "Resident set of the process (VmRSS) now and its peak since start (VmHWM); -1 when unknown.")
            .dataPoint(gaugePoint(Labels.of("kind", "current"), resident.currentBytes()))
            .dataPoint(gaugePoint(Labels.of("kind", "peak"), resident.peakBytes())).build());
    }

    private void upstreams(final MetricSnapshots.Builder all) {
        final GaugeSnapshot.Builder healthy = gauge("weir_upstream_healthy",
            "1 while the server takes requests; 0 while ejected after failures or down by the active check.");
        final GaugeSnapshot.Builder open = gauge("weir_upstream_connections_open",
            "Connections with an open socket to the server (serving or idle).");
        final GaugeSnapshot.Builder idle = gauge("weir_upstream_connections_idle",
            "Connections to the server open and parked for reuse.");
        final GaugeSnapshot.Builder busy = gauge("weir_upstream_connections_busy",
            "Connections serving an exchange with the server: its requests in flight.");
        final CounterSnapshot.Builder requests = counter("weir_upstream_requests",
            "Exchanges sent to the server, retries included.");
        final CounterSnapshot.Builder failures = counter("weir_upstream_failures",
            "Failures of the server: connect errors, resets, timeouts, malformed responses.");
        final CounterSnapshot.Builder ejections = counter("weir_upstream_ejections",
            "Times the server was ejected after failures in a row.");
        final CounterSnapshot.Builder retries = counter("weir_upstream_retries",
            "Requests sent again (here or to another server) because they failed on this one.");
        for (final UpstreamServer server : pipeline.upstreamServers()) {
            final Labels labels = Labels.of("group", server.group(), "upstream", server.address());
            healthy.dataPoint(gaugePoint(labels, server.healthy() ? 1 : 0));
            open.dataPoint(gaugePoint(labels, server.openConnections()));
            idle.dataPoint(gaugePoint(labels, server.idleConnections()));
            busy.dataPoint(gaugePoint(labels, server.busyConnections()));
            requests.dataPoint(counterPoint(labels, server.requests()));
            failures.dataPoint(counterPoint(labels, server.failures()));
            ejections.dataPoint(counterPoint(labels, server.ejections()));
            retries.dataPoint(counterPoint(labels, server.retries()));
        }
        all.metricSnapshot(healthy.build()).metricSnapshot(open.build()).metricSnapshot(idle.build())
            .metricSnapshot(busy.build()).metricSnapshot(requests.build()).metricSnapshot(failures.build())
            .metricSnapshot(ejections.build()).metricSnapshot(retries.build());

        final GaugeSnapshot.Builder queued = gauge("weir_origin_queued",
            "Requests waiting for an origin connection of this upstream thread (upstream.max-connections).");
        final CounterSnapshot.Builder waits = counter("weir_origin_waits",
            "Requests that had to wait for an origin connection of this upstream thread.");
        final List<UpstreamPool> pools = pipeline.upstreamPools();
        final List<String> threads = threadsOf("upstream");
        for (int i = 0; i < pools.size(); i++) {
            final Labels labels = Labels.of("thread", threads.get(i));
            queued.dataPoint(gaugePoint(labels, pools.get(i).queued()));
            waits.dataPoint(counterPoint(labels, pools.get(i).waits()));
        }
        all.metricSnapshot(queued.build()).metricSnapshot(waits.build());
    }

    private void accessLog(final MetricSnapshots.Builder all) {
        final AccessLog log = pipeline.accessLog();
        if (log == null) {
            return;
        }
        all.metricSnapshot(single(counter("weir_access_log_records",
            "Access log records offered by the stage threads: one per exchange that ended."), log.records()));
        all.metricSnapshot(single(counter("weir_access_log_dropped",
            "Access log records dropped because the ring was full (the log thread fell behind)."), log.dropped()));
        all.metricSnapshot(single(counter("weir_access_log_written", "Access log lines written."), log.written()));
        all.metricSnapshot(single(counter("weir_access_log_lost",
            "Access log lines lost because a write failed (disk full, a closed pipe)."), log.lost()));
        all.metricSnapshot(single(counter("weir_access_log_reopens",
            "Times the access log file was opened again (SIGHUP or POST /access-log/reopen)."), log.reopens()));
    }

    private void jvm(final MetricSnapshots.Builder all) {
        long count = 0;
        long timeMs = 0;
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
            timeMs += Math.max(0, gc.getCollectionTime());
        }
        all.metricSnapshot(single(counter("weir_gc_collections", "Garbage collections since the JVM started."),
            count));
        all.metricSnapshot(single(counter("weir_gc_seconds", "Time spent in garbage collection since start."),
            timeMs / 1e3));
        final long allocated = pipeline.stageAllocatedBytes();
        if (allocated >= 0) {
            // Absent when the JVM does not measure per-thread allocation.
            all.metricSnapshot(single(counter("weir_stage_allocated_bytes",
                "Heap bytes the stage threads allocated since start: 0 per request is the promise."), allocated));
        }
    }

    private List<String> threadsOf(final String stage) {
        final List<String> threads = new ArrayList<>();
        for (final StageView view : pipeline.stageViews()) {
            if (view.stage().equals(stage)) {
                threads.add(view.thread());
            }
        }
        return threads;
    }

    private static GaugeSnapshot.Builder gauge(final String name, final String help) {
        return GaugeSnapshot.builder().name(name).help(help);
    }

    private static CounterSnapshot.Builder counter(final String name, final String help) {
        return CounterSnapshot.builder().name(name).help(help);
    }

    private static CounterSnapshot single(final CounterSnapshot.Builder counter, final double value) {
        return counter.dataPoint(counterPoint(Labels.EMPTY, value)).build();
    }

    private static GaugeDataPointSnapshot gaugePoint(final Labels labels, final double value) {
        return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    private static CounterDataPointSnapshot counterPoint(final Labels labels, final double value) {
        return CounterDataPointSnapshot.builder().labels(labels).value(value).build();
    }
}
