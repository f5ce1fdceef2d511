package dev.weir.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import dev.weir.arena.ProcessStatus;
import dev.weir.http.RequestPolicy;
import dev.weir.log.AccessLog;

/**
 * The whole, validated configuration of one Weir process; immutable.
 * <p>
 * Every key, its default, unit and meaning is listed once in {@link ConfigKeys}; this class holds the values.
 * Build one with {@link #builder()}; {@link Builder#build()} validates every value and names the first
 * offending key in a {@link ConfigException}.
 */
public final class WeirConfig {

    private final String listenHost;
    private final int listenPort;
    private final int acceptBacklog;
    private final long acceptQueueTimeoutMs;
    private final long acceptReclaimIdleAfterMs;
    private final long admissionQueueDelayMs;
    private final boolean reusePort;
    private final int connections;
    private final int ringSize;
    private final int parseThreads;
    private final int parseBufferBytes;
    private final int maxRequestLineSetting;
    private final int maxRequestLineBytes;
    private final int maxHeaders;
    private final long maxBodyBytes;
    private final String upstreamHost;
    private final int upstreamPort;
    private final int upstreamMaxConnections;
    private final int upstreamThreads;
    private final int upstreamBufferBytes;
    private final int writeThreads;
    private final boolean writeThrough;
    private final String fuseParseUpstream;
    private final int idleYields;
    private final long upstreamQueueTimeoutMs;
    private final int upstreamMaxFails;
    private final long upstreamFailTimeoutMs;
    private final boolean upstreamRetry;
    private final long upstreamHealthIntervalMs;
    private final long upstreamHealthTimeoutMs;
    private final int upstreamHealthFall;
    private final int upstreamHealthRise;
    private final List<UpstreamGroupConfig> configuredGroups;
    private final List<UpstreamGroupConfig> upstreamGroups;
    private final List<RouteConfig> routes;
    private final long clientHeadTimeoutMs;
    private final long clientBodyTimeoutMs;
    private final long clientSendTimeoutMs;
    private final long clientMinRateBytes;
    private final long keepAliveTimeoutMs;
    private final long upstreamConnectTimeoutMs;
    private final long upstreamResponseTimeoutMs;
    private final long lingerTimeoutMs;
    private final long tunnelIdleTimeoutMs;
    private final int socketReceiveBufferBytes;
    private final int socketSendBufferBytes;
    private final int socketResponseBufferBytes;
    private final int largeResponseBufferBytes;
    private final int largeResponseBufferCount;
    private final long heapBytes;
    private final long threadStackBytes;
    private final long stackPretouchBytes;
    private final long stackPretouchSetting;
    private final String affinity;
    private final int[] affinityCpus;
    private final long metaspaceBytes;
    private final long codeCacheBytes;
    private final long directMemoryBytes;
    private final long jvmOverheadBytes;
    private final boolean lockMemory;
    private final int warmUpExchanges;
    private final long memoryBudgetBytes;
    private final boolean xForwardedProto;
    private final boolean xForwardedHost;
    private final boolean forwarded;
    private final boolean via;
    private final String accessLogPath;
    private final String accessLogFormat;
    private final int accessLogRecords;
    private final int accessLogMaxTargetBytes;
    private final String adminHost;
    private final int adminPort;
    private final long drainTimeoutMs;

    private WeirConfig(final Builder b, final int resolvedRingSize) {
        listenHost = b.listenHost;
        listenPort = b.listenPort;
        acceptBacklog = b.acceptBacklog;
        acceptQueueTimeoutMs = b.acceptQueueTimeoutMs;
        acceptReclaimIdleAfterMs = b.acceptReclaimIdleAfterMs;
        admissionQueueDelayMs = b.admissionQueueDelayMs;
        reusePort = b.reusePort;
        connections = b.connections;
        ringSize = resolvedRingSize;
        parseThreads = b.parseThreads;
        parseBufferBytes = b.parseBufferBytes;
        maxRequestLineSetting = b.maxRequestLineBytes;
        // Not set: the default, or the whole parse buffer when that is smaller (the line cannot be longer).
        maxRequestLineBytes = b.maxRequestLineBytes != Builder.NOT_SET ? b.maxRequestLineBytes
            : Math.min(ConfigKeys.DEFAULT_MAX_REQUEST_LINE_BYTES, b.parseBufferBytes);
        maxHeaders = b.maxHeaders;
        maxBodyBytes = b.maxBodyBytes;
        upstreamHost = b.upstreamHost;
        upstreamPort = b.upstreamPort;
        upstreamMaxConnections = b.upstreamMaxConnections;
        upstreamThreads = b.upstreamThreads;
        upstreamBufferBytes = b.upstreamBufferBytes;
        writeThreads = b.writeThreads;
        writeThrough = b.writeThrough;
        fuseParseUpstream = b.fuseParseUpstream;
        idleYields = b.idleYields;
        upstreamQueueTimeoutMs = b.upstreamQueueTimeoutMs;
        upstreamMaxFails = b.upstreamMaxFails;
        upstreamFailTimeoutMs = b.upstreamFailTimeoutMs;
        upstreamRetry = b.upstreamRetry;
        upstreamHealthIntervalMs = b.upstreamHealthIntervalMs;
        upstreamHealthTimeoutMs = b.upstreamHealthTimeoutMs;
        upstreamHealthFall = b.upstreamHealthFall;
        upstreamHealthRise = b.upstreamHealthRise;
        configuredGroups = List.copyOf(b.upstreamGroups);
        routes = List.copyOf(b.routes);
        // Every group with each value set; without upstreams: the one group upstream.address describes.
        final List<UpstreamGroupConfig> resolved = new ArrayList<>();
        if (configuredGroups.isEmpty()) {
            resolved.add(UpstreamGroupConfig.shorthand(upstreamHost, upstreamPort).resolve(this));
        } else {
            for (final UpstreamGroupConfig group : configuredGroups) {
                resolved.add(group.resolve(this));
            }
        }
        upstreamGroups = List.copyOf(resolved);
        clientHeadTimeoutMs = b.clientHeadTimeoutMs;
        clientBodyTimeoutMs = b.clientBodyTimeoutMs;
        clientSendTimeoutMs = b.clientSendTimeoutMs;
        clientMinRateBytes = b.clientMinRateBytes;
        keepAliveTimeoutMs = b.keepAliveTimeoutMs;
        upstreamConnectTimeoutMs = b.upstreamConnectTimeoutMs;
        upstreamResponseTimeoutMs = b.upstreamResponseTimeoutMs;
        lingerTimeoutMs = b.lingerTimeoutMs;
        tunnelIdleTimeoutMs = b.tunnelIdleTimeoutMs;
        socketReceiveBufferBytes = b.socketReceiveBufferBytes;
        socketSendBufferBytes = b.socketSendBufferBytes;
        socketResponseBufferBytes = b.socketResponseBufferBytes;
        largeResponseBufferBytes = b.largeResponseBufferBytes;
        largeResponseBufferCount = b.largeResponseBufferCount;
        heapBytes = b.heapBytes;
        threadStackBytes = b.threadStackBytes;
        stackPretouchSetting = b.stackPretouchBytes;
        // Not set: the default, or as deep as a smaller jvm.thread-stack allows.
        stackPretouchBytes = b.stackPretouchBytes != Builder.NOT_SET ? b.stackPretouchBytes
            : Math.max(0, Math.min(ConfigKeys.DEFAULT_STACK_PRETOUCH_BYTES,
                b.threadStackBytes - ConfigKeys.STACK_PRETOUCH_MARGIN_BYTES));
        affinity = b.affinity;
        affinityCpus = b.affinityCpus;
        metaspaceBytes = b.metaspaceBytes;
        codeCacheBytes = b.codeCacheBytes;
        directMemoryBytes = b.directMemoryBytes;
        jvmOverheadBytes = b.jvmOverheadBytes;
        lockMemory = b.lockMemory;
        warmUpExchanges = b.warmUpExchanges;
        memoryBudgetBytes = b.memoryBudgetBytes;
        xForwardedProto = b.xForwardedProto;
        xForwardedHost = b.xForwardedHost;
        forwarded = b.forwarded;
        via = b.via;
        accessLogPath = b.accessLogPath;
        accessLogFormat = b.accessLogFormat;
        accessLogRecords = b.accessLogRecords;
        accessLogMaxTargetBytes = b.accessLogMaxTargetBytes;
        adminHost = b.adminHost;
        adminPort = b.adminPort;
        drainTimeoutMs = b.drainTimeoutMs;
    }

    /** @return a builder holding every default. */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this configuration's values, to derive a variant. */
    public Builder toBuilder() {
        final Builder b = new Builder();
        b.listenHost = listenHost;
        b.listenPort = listenPort;
        b.acceptBacklog = acceptBacklog;
        b.acceptQueueTimeoutMs = acceptQueueTimeoutMs;
        b.acceptReclaimIdleAfterMs = acceptReclaimIdleAfterMs;
        b.admissionQueueDelayMs = admissionQueueDelayMs;
        b.reusePort = reusePort;
        b.connections = connections;
        b.ringSize = ringSize;
        b.parseThreads = parseThreads;
        b.parseBufferBytes = parseBufferBytes;
        b.maxRequestLineBytes = maxRequestLineSetting;
        b.maxHeaders = maxHeaders;
        b.maxBodyBytes = maxBodyBytes;
        b.upstreamHost = upstreamHost;
        b.upstreamPort = upstreamPort;
        b.upstreamMaxConnections = upstreamMaxConnections;
        b.upstreamThreads = upstreamThreads;
        b.upstreamBufferBytes = upstreamBufferBytes;
        b.writeThreads = writeThreads;
        b.writeThrough = writeThrough;
        b.fuseParseUpstream = fuseParseUpstream;
        b.idleYields = idleYields;
        b.upstreamQueueTimeoutMs = upstreamQueueTimeoutMs;
        b.upstreamMaxFails = upstreamMaxFails;
        b.upstreamFailTimeoutMs = upstreamFailTimeoutMs;
        b.upstreamRetry = upstreamRetry;
        b.upstreamHealthIntervalMs = upstreamHealthIntervalMs;
        b.upstreamHealthTimeoutMs = upstreamHealthTimeoutMs;
        b.upstreamHealthFall = upstreamHealthFall;
        b.upstreamHealthRise = upstreamHealthRise;
        b.upstreamGroups = configuredGroups;
        b.routes = routes;
        b.clientHeadTimeoutMs = clientHeadTimeoutMs;
        b.clientBodyTimeoutMs = clientBodyTimeoutMs;
        b.clientSendTimeoutMs = clientSendTimeoutMs;
        b.clientMinRateBytes = clientMinRateBytes;
        b.keepAliveTimeoutMs = keepAliveTimeoutMs;
        b.upstreamConnectTimeoutMs = upstreamConnectTimeoutMs;
        b.upstreamResponseTimeoutMs = upstreamResponseTimeoutMs;
        b.lingerTimeoutMs = lingerTimeoutMs;
        b.tunnelIdleTimeoutMs = tunnelIdleTimeoutMs;
        b.socketReceiveBufferBytes = socketReceiveBufferBytes;
        b.socketSendBufferBytes = socketSendBufferBytes;
        b.socketResponseBufferBytes = socketResponseBufferBytes;
        b.largeResponseBufferBytes = largeResponseBufferBytes;
        b.largeResponseBufferCount = largeResponseBufferCount;
        b.heapBytes = heapBytes;
        b.threadStackBytes = threadStackBytes;
        b.stackPretouchBytes = stackPretouchSetting;
        b.affinity = affinity;
        b.metaspaceBytes = metaspaceBytes;
        b.codeCacheBytes = codeCacheBytes;
        b.directMemoryBytes = directMemoryBytes;
        b.jvmOverheadBytes = jvmOverheadBytes;
        b.lockMemory = lockMemory;
        b.warmUpExchanges = warmUpExchanges;
        b.memoryBudgetBytes = memoryBudgetBytes;
        b.xForwardedProto = xForwardedProto;
        b.xForwardedHost = xForwardedHost;
        b.forwarded = forwarded;
        b.via = via;
        b.accessLogPath = accessLogPath;
        b.accessLogFormat = accessLogFormat;
        b.accessLogRecords = accessLogRecords;
        b.accessLogMaxTargetBytes = accessLogMaxTargetBytes;
        b.adminHost = adminHost;
        b.adminPort = adminPort;
        b.drainTimeoutMs = drainTimeoutMs;
        return b;
    }

    /** @return host or address the accept stage binds ({@code accept.listen}). */
    public String listenHost() {
        return listenHost;
    }

    /** @return port the accept stage binds; 0 picks a free port ({@code accept.listen}). */
    public int listenPort() {
        return listenPort;
    }

    /** @return listen backlog ({@code accept.backlog}). */
    public int acceptBacklog() {
        return acceptBacklog;
    }

    /**
     * @return longest a connection waits in the listen backlog while every slot is taken, then 503,
     *     milliseconds ({@code accept.queue-timeout}).
     */
    public long acceptQueueTimeoutMs() {
        return acceptQueueTimeoutMs;
    }

    /**
     * @return how long a keep-alive connection must have been idle before it may give its slot to a connection
     *     waiting in the listen backlog, milliseconds ({@code accept.reclaim-idle-after}).
     */
    public long acceptReclaimIdleAfterMs() {
        return acceptReclaimIdleAfterMs;
    }

    /**
     * @return queue delay of a parse, upstream or write thread's inbox (or stall) above which new work for it is
     *     answered 503, milliseconds; 0 for none ({@code admission.queue-delay}).
     */
    public long admissionQueueDelayMs() {
        return admissionQueueDelayMs;
    }

    /**
     * @return {@code true} to set {@code SO_REUSEPORT} on the listening socket before binding, so several
     *     processes share its port ({@code accept.reuse-port}).
     */
    public boolean reusePort() {
        return reusePort;
    }

    /** @return connection slots, the most client connections open at once ({@code connections}). */
    public int connections() {
        return connections;
    }

    /** @return entries per hand-off ring: a power of two at least 2 x {@link #connections()} ({@code ring-size}). */
    public int ringSize() {
        return ringSize;
    }

    /** @return parse stage threads ({@code parse.threads}). */
    public int parseThreads() {
        return parseThreads;
    }

    /** @return bytes per connection for the request head and body chunks; the head limit ({@code parse.buffer}). */
    public int parseBufferBytes() {
        return parseBufferBytes;
    }

    /**
     * @return longest request line, bytes, CRLF excluded; longer is answered 414 ({@code parse.max-request-line};
     *     when not set, 8k or {@code parse.buffer} if smaller).
     */
    public int maxRequestLineBytes() {
        return maxRequestLineBytes;
    }

    /** @return most header fields per request; more is answered 431 ({@code parse.max-headers}). */
    public int maxHeaders() {
        return maxHeaders;
    }

    /** @return largest request body, bytes; 0 for no limit; larger is answered 413 ({@code parse.max-body}). */
    public long maxBodyBytes() {
        return maxBodyBytes;
    }

    /** @return {@code true} to add {@code X-Forwarded-Proto} ({@code forwarded.x-forwarded-proto}). */
    public boolean xForwardedProto() {
        return xForwardedProto;
    }

    /** @return {@code true} to add {@code X-Forwarded-Host} ({@code forwarded.x-forwarded-host}). */
    public boolean xForwardedHost() {
        return xForwardedHost;
    }

    /** @return {@code true} to append an RFC 7239 {@code Forwarded} element ({@code forwarded.forwarded}). */
    public boolean forwarded() {
        return forwarded;
    }

    /** @return {@code true} to append {@code 1.1 weir} to {@code Via} ({@code forwarded.via}). */
    public boolean via() {
        return via;
    }

    /**
     * The request rules every slot's head is built with; startup only.
     *
     * @return the parse limits and forwarding switches of this configuration.
     */
    public RequestPolicy requestPolicy() {
        return new RequestPolicy(maxRequestLineBytes, maxHeaders, maxBodyBytes, xForwardedProto, xForwardedHost,
            forwarded, via);
    }

    /** @return the origin's host ({@code upstream.address}). */
    public String upstreamHost() {
        return upstreamHost;
    }

    /** @return the origin's port ({@code upstream.address}). */
    public int upstreamPort() {
        return upstreamPort;
    }

    /**
     * @return most origin connections open at once; 0 means one per connection slot
     *     ({@code upstream.max-connections}).
     */
    public int upstreamMaxConnections() {
        return upstreamMaxConnections;
    }

    /**
     * @return origin connections the pipeline may open, shared by all upstream threads: {@code
     *     upstream.max-connections}, or {@link #connections()} when that is 0.
     */
    public int upstreamConnections() {
        return upstreamMaxConnections == 0 ? connections : upstreamMaxConnections;
    }

    /** @return upstream stage threads ({@code upstream.threads}). */
    public int upstreamThreads() {
        return upstreamThreads;
    }

    /** @return bytes per connection for the response head and body chunks ({@code upstream.buffer}). */
    public int upstreamBufferBytes() {
        return upstreamBufferBytes;
    }

    /** @return write stage threads ({@code write.threads}). */
    public int writeThreads() {
        return writeThreads;
    }

    /**
     * @return {@code true} when the upstream stage writes each response part to the client itself while the
     *         client takes it whole ({@code write.through}).
     */
    public boolean writeThrough() {
        return writeThrough;
    }

    /**
     * @return {@code true} when each parse thread also runs the upstream stage of its index over one selector
     *         ({@code fuse-parse-upstream}: true, or auto with equal thread counts).
     */
    public boolean fuseParseUpstream() {
        return "true".equals(fuseParseUpstream) || "auto".equals(fuseParseUpstream) && parseThreads == upstreamThreads;
    }

    /** @return the {@code fuse-parse-upstream} setting as written: auto, true or false. */
    public String fuseParseUpstreamSetting() {
        return fuseParseUpstream;
    }

    /** @return times an idle stage yields its core before sleeping in its selector ({@code idle-yields}). */
    public int idleYields() {
        return idleYields;
    }

    /** @return longest wait for a busy origin pool, then 503, milliseconds ({@code upstream.queue-timeout}). */
    public long upstreamQueueTimeoutMs() {
        return upstreamQueueTimeoutMs;
    }

    /** @return failures in a row that eject a server, 0 never ({@code upstream.max-fails}). */
    public int upstreamMaxFails() {
        return upstreamMaxFails;
    }

    /** @return milliseconds an ejected server is left out ({@code upstream.fail-timeout}). */
    public long upstreamFailTimeoutMs() {
        return upstreamFailTimeoutMs;
    }

    /** @return {@code true} to retry a request that could not connect elsewhere ({@code upstream.retry}). */
    public boolean upstreamRetry() {
        return upstreamRetry;
    }

    /** @return milliseconds between active checks of one server ({@code upstream.health.interval}). */
    public long upstreamHealthIntervalMs() {
        return upstreamHealthIntervalMs;
    }

    /** @return milliseconds an active check may take ({@code upstream.health.timeout}). */
    public long upstreamHealthTimeoutMs() {
        return upstreamHealthTimeoutMs;
    }

    /** @return failed active checks in a row that mark a server down ({@code upstream.health.fall}). */
    public int upstreamHealthFall() {
        return upstreamHealthFall;
    }

    /** @return passed active checks in a row that mark a server up ({@code upstream.health.rise}). */
    public int upstreamHealthRise() {
        return upstreamHealthRise;
    }

    /**
     * @return every upstream group with every value resolved, in configuration order: the {@code upstreams:}
     *     section, or one group named {@code default} with the server of {@code upstream.address}.
     */
    public List<UpstreamGroupConfig> upstreamGroups() {
        return upstreamGroups;
    }

    /** @return {@code true} when the groups come from an {@code upstreams:} section, not {@code upstream.address}. */
    public boolean hasUpstreamsSection() {
        return !configuredGroups.isEmpty();
    }

    /** @return the routes, in configuration order; empty when every request goes to the default group. */
    public List<RouteConfig> routes() {
        return routes;
    }

    /** @return the index in {@link #upstreamGroups()} of the group requests no route matches go to. */
    public int defaultGroup() {
        for (int i = 0; i < upstreamGroups.size(); i++) {
            if (upstreamGroups.get(i).isDefault()) {
                return i;
            }
        }
        return 0;
    }

    /** @return servers over every group. */
    public int upstreamServerCount() {
        int count = 0;
        for (final UpstreamGroupConfig group : upstreamGroups) {
            count += group.servers().size();
        }
        return count;
    }

    /** @return servers of groups with an active health check: each has its own check socket. */
    public int healthCheckedServerCount() {
        int count = 0;
        for (final UpstreamGroupConfig group : upstreamGroups) {
            if (group.healthPath() != null) {
                count += group.servers().size();
            }
        }
        return count;
    }

    /** @return longest a request head may take, then 408, milliseconds ({@code timeout.client-head}). */
    public long clientHeadTimeoutMs() {
        return clientHeadTimeoutMs;
    }

    /** @return longest wait for the next request-body bytes, milliseconds ({@code timeout.client-body}). */
    public long clientBodyTimeoutMs() {
        return clientBodyTimeoutMs;
    }

    /** @return longest a client may leave response bytes unread, milliseconds ({@code timeout.client-send}). */
    public long clientSendTimeoutMs() {
        return clientSendTimeoutMs;
    }

    /**
     * @return least bytes per second a client must move while Weir waits on it, per window of one timeout
     *         ({@code timeout.client-min-rate}); 0: some progress per window.
     */
    public long clientMinRateBytes() {
        return clientMinRateBytes;
    }

    /** @return longest an idle keep-alive client stays open, milliseconds ({@code timeout.keep-alive}). */
    public long keepAliveTimeoutMs() {
        return keepAliveTimeoutMs;
    }

    /** @return longest wait to connect to the origin, milliseconds ({@code timeout.upstream-connect}). */
    public long upstreamConnectTimeoutMs() {
        return upstreamConnectTimeoutMs;
    }

    /** @return longest wait on origin bytes, milliseconds ({@code timeout.upstream-response}). */
    public long upstreamResponseTimeoutMs() {
        return upstreamResponseTimeoutMs;
    }

    /** @return how long a lingering close waits at a time for its client, milliseconds ({@code timeout.linger}). */
    public long lingerTimeoutMs() {
        return lingerTimeoutMs;
    }

    /** @return longest a WebSocket tunnel may carry nothing either way, milliseconds ({@code timeout.tunnel-idle}). */
    public long tunnelIdleTimeoutMs() {
        return tunnelIdleTimeoutMs;
    }

    /** @return {@code SO_RCVBUF} of client and health-check sockets, bytes ({@code socket.receive-buffer}). */
    public int socketReceiveBufferBytes() {
        return socketReceiveBufferBytes;
    }

    /** @return {@code SO_SNDBUF} of origin and health-check sockets, bytes ({@code socket.send-buffer}). */
    public int socketSendBufferBytes() {
        return socketSendBufferBytes;
    }

    /**
     * @return an origin socket's {@code SO_RCVBUF} and a client socket's {@code SO_SNDBUF}, bytes
     *     ({@code socket.response-buffer}).
     */
    public int socketResponseBufferBytes() {
        return socketResponseBufferBytes;
    }

    /**
     * @return the {@code SO_SNDBUF} a client socket is grown to while a large response streams to it, bytes
     *     ({@code socket.large-response-buffer}).
     */
    public int largeResponseBufferBytes() {
        return largeResponseBufferBytes;
    }

    /**
     * @return client sockets that may hold a grown send buffer at once
     *     ({@code socket.large-response-buffer-count}).
     */
    public int largeResponseBufferCount() {
        return largeResponseBufferCount;
    }

    /** @return grown send buffers that can be in use at once: no more than there are client connections. */
    public int largeResponseBuffersUsable() {
        return Math.min(largeResponseBufferCount, connections);
    }

    /** @return Java heap, bytes; {@code -Xms} = {@code -Xmx} ({@code jvm.heap}). */
    public long heapBytes() {
        return heapBytes;
    }

    /** @return stack per thread, bytes; {@code -Xss} ({@code jvm.thread-stack}). */
    public long threadStackBytes() {
        return threadStackBytes;
    }

    /** @return stack each stage thread touches before its first turn, bytes; 0 for off ({@code jvm.stack-pretouch}). */
    public long stackPretouchBytes() {
        return stackPretouchBytes;
    }

    /** @return the CPU list stage threads are pinned to, as written, or {@code none} ({@code affinity}). */
    public String affinity() {
        return affinity;
    }

    /**
     * @return the CPUs of {@link #affinity()} in the order written (ranges expanded); empty when not pinned. A
     *     copy: startup only.
     */
    public int[] affinityCpus() {
        return affinityCpus.clone();
    }

    /** @return metaspace cap, bytes ({@code jvm.metaspace}). */
    public long metaspaceBytes() {
        return metaspaceBytes;
    }

    /** @return reserved code cache, bytes ({@code jvm.code-cache}). */
    public long codeCacheBytes() {
        return codeCacheBytes;
    }

    /** @return direct memory cap, bytes ({@code jvm.direct-memory}). */
    public long directMemoryBytes() {
        return directMemoryBytes;
    }

    /** @return allowance for the JVM's own native memory (GC, symbols, threads' bookkeeping), bytes. */
    public long jvmOverheadBytes() {
        return jvmOverheadBytes;
    }

    /** @return {@code true} to lock the whole process in RAM before ready ({@code memory.lock}). */
    public boolean lockMemory() {
        return lockMemory;
    }

    /** @return exchanges through a warm-up pipeline before the serving one starts; 0 for off ({@code jvm.warm-up}). */
    public int warmUpExchanges() {
        return warmUpExchanges;
    }

    /** @return the memory budget the plan was fitted to, bytes; 0 for none ({@code memory.budget}). */
    public long memoryBudgetBytes() {
        return memoryBudgetBytes;
    }

    /** @return host or address of the admin listener, or {@code null} when it is off ({@code admin.listen}). */
    public String adminHost() {
        return adminHost;
    }

    /** @return port of the admin listener; 0 picks a free port; meaningless when it is off ({@code admin.listen}). */
    public int adminPort() {
        return adminPort;
    }

    /** @return {@code true} when {@code admin.listen} names an address. */
    public boolean adminEnabled() {
        return adminHost != null;
    }

    /** @return longest wait for in-flight exchanges after SIGTERM, milliseconds ({@code drain-timeout}). */
    public long drainTimeoutMs() {
        return drainTimeoutMs;
    }

    /**
     * @return the access log's file, {@code -} for standard output, or {@code none} when it is off
     *     ({@code access-log.path}).
     */
    public String accessLogPath() {
        return accessLogPath;
    }

    /** @return {@code true} when there is an access log: memory, a ring and a thread for it. */
    public boolean accessLogOn() {
        return !ConfigKeys.ACCESS_LOG_OFF.equals(accessLogPath);
    }

    /** @return {@code common}, {@code combined} or {@code json} ({@code access-log.format}). */
    public String accessLogFormat() {
        return accessLogFormat;
    }

    /** @return records the access log ring holds at least, a power of two ({@code access-log.records}). */
    public int accessLogRecords() {
        return accessLogRecords;
    }

    /** @return bytes of the target, Referer and User-Agent kept per record ({@code access-log.max-target}). */
    public int accessLogMaxTargetBytes() {
        return accessLogMaxTargetBytes;
    }

    /**
     * Collects values; {@link #build()} validates them.
     * <p>
     * <b>Note:</b> not thread-safe; for startup and tests.
     */
    public static final class Builder {
        /** {@code parse.max-request-line} not set: 8k, or {@code parse.buffer} when smaller. */
        static final int NOT_SET = -1;
        /** Largest part of the access log's arena: ring or capture regions, each addressed with ints. */
        static final long MAX_LOG_REGION_BYTES = 1L << 30;
        private static final HostPort DEFAULT_LISTEN = HostPort.parse("accept.listen", ConfigKeys.DEFAULT_LISTEN);
        private static final HostPort DEFAULT_UPSTREAM =
            HostPort.parse("upstream.address", ConfigKeys.DEFAULT_UPSTREAM);

        private String listenHost = DEFAULT_LISTEN.host();
        private int listenPort = DEFAULT_LISTEN.port();
        private int acceptBacklog = ConfigKeys.DEFAULT_ACCEPT_BACKLOG;
        private long acceptQueueTimeoutMs = ConfigKeys.DEFAULT_ACCEPT_QUEUE_TIMEOUT_MS;
        private long acceptReclaimIdleAfterMs = ConfigKeys.DEFAULT_ACCEPT_RECLAIM_IDLE_AFTER_MS;
        private long admissionQueueDelayMs = ConfigKeys.DEFAULT_ADMISSION_QUEUE_DELAY_MS;
        private boolean reusePort = ConfigKeys.DEFAULT_ACCEPT_REUSE_PORT;
        private int connections = ConfigKeys.DEFAULT_CONNECTIONS;
        private int ringSize = ConfigKeys.DEFAULT_RING_SIZE;
        private int parseThreads = ConfigKeys.DEFAULT_PARSE_THREADS;
        private int parseBufferBytes = ConfigKeys.DEFAULT_PARSE_BUFFER_BYTES;
        private int maxRequestLineBytes = NOT_SET;
        private int maxHeaders = ConfigKeys.DEFAULT_MAX_HEADERS;
        private long maxBodyBytes = ConfigKeys.DEFAULT_MAX_BODY_BYTES;
        private boolean xForwardedProto = ConfigKeys.DEFAULT_X_FORWARDED_PROTO;
        private boolean xForwardedHost = ConfigKeys.DEFAULT_X_FORWARDED_HOST;
        private boolean forwarded = ConfigKeys.DEFAULT_FORWARDED;
        private boolean via = ConfigKeys.DEFAULT_VIA;
        private String upstreamHost = DEFAULT_UPSTREAM.host();
        private int upstreamPort = DEFAULT_UPSTREAM.port();
        private int upstreamMaxConnections = ConfigKeys.DEFAULT_UPSTREAM_MAX_CONNECTIONS;
        private int upstreamThreads = ConfigKeys.DEFAULT_UPSTREAM_THREADS;
        private int upstreamBufferBytes = ConfigKeys.DEFAULT_UPSTREAM_BUFFER_BYTES;
        private int writeThreads = ConfigKeys.DEFAULT_WRITE_THREADS;
        private boolean writeThrough = ConfigKeys.DEFAULT_WRITE_THROUGH;
        private String fuseParseUpstream = ConfigKeys.DEFAULT_FUSE_PARSE_UPSTREAM;
        private int idleYields = ConfigKeys.DEFAULT_IDLE_YIELDS;
        private long upstreamQueueTimeoutMs = ConfigKeys.DEFAULT_UPSTREAM_QUEUE_TIMEOUT_MS;
        private int upstreamMaxFails = ConfigKeys.DEFAULT_UPSTREAM_MAX_FAILS;
        private long upstreamFailTimeoutMs = ConfigKeys.DEFAULT_UPSTREAM_FAIL_TIMEOUT_MS;
        private boolean upstreamRetry = ConfigKeys.DEFAULT_UPSTREAM_RETRY;
        private long upstreamHealthIntervalMs = ConfigKeys.DEFAULT_UPSTREAM_HEALTH_INTERVAL_MS;
        private long upstreamHealthTimeoutMs = ConfigKeys.DEFAULT_UPSTREAM_HEALTH_TIMEOUT_MS;
        private int upstreamHealthFall = ConfigKeys.DEFAULT_UPSTREAM_HEALTH_FALL;
        private int upstreamHealthRise = ConfigKeys.DEFAULT_UPSTREAM_HEALTH_RISE;
        private List<UpstreamGroupConfig> upstreamGroups = List.of();
        private List<RouteConfig> routes = List.of();
        private long clientHeadTimeoutMs = ConfigKeys.DEFAULT_CLIENT_HEAD_TIMEOUT_MS;
        private long clientBodyTimeoutMs = ConfigKeys.DEFAULT_CLIENT_BODY_TIMEOUT_MS;
        private long clientSendTimeoutMs = ConfigKeys.DEFAULT_CLIENT_SEND_TIMEOUT_MS;
        private long clientMinRateBytes = ConfigKeys.DEFAULT_CLIENT_MIN_RATE_BYTES;
        private long keepAliveTimeoutMs = ConfigKeys.DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
        private long upstreamConnectTimeoutMs = ConfigKeys.DEFAULT_UPSTREAM_CONNECT_TIMEOUT_MS;
        private long upstreamResponseTimeoutMs = ConfigKeys.DEFAULT_UPSTREAM_RESPONSE_TIMEOUT_MS;
        private long lingerTimeoutMs = ConfigKeys.DEFAULT_LINGER_TIMEOUT_MS;
        private long tunnelIdleTimeoutMs = ConfigKeys.DEFAULT_TUNNEL_IDLE_TIMEOUT_MS;
        private int socketReceiveBufferBytes = ConfigKeys.DEFAULT_SOCKET_RECEIVE_BUFFER_BYTES;
        private int socketSendBufferBytes = ConfigKeys.DEFAULT_SOCKET_SEND_BUFFER_BYTES;
        private int socketResponseBufferBytes = ConfigKeys.DEFAULT_SOCKET_RESPONSE_BUFFER_BYTES;
        private int largeResponseBufferBytes = ConfigKeys.DEFAULT_LARGE_RESPONSE_BUFFER_BYTES;
        private int largeResponseBufferCount = ConfigKeys.DEFAULT_LARGE_RESPONSE_BUFFER_COUNT;
        private long heapBytes = ConfigKeys.DEFAULT_HEAP_BYTES;
        private long threadStackBytes = ConfigKeys.DEFAULT_THREAD_STACK_BYTES;
        private long stackPretouchBytes = NOT_SET;
        private String affinity = ConfigKeys.DEFAULT_AFFINITY;
        private int[] affinityCpus = new int[0];
        private long metaspaceBytes = ConfigKeys.DEFAULT_METASPACE_BYTES;
        private long codeCacheBytes = ConfigKeys.DEFAULT_CODE_CACHE_BYTES;
        private long directMemoryBytes = ConfigKeys.DEFAULT_DIRECT_MEMORY_BYTES;
        private long jvmOverheadBytes = ConfigKeys.DEFAULT_JVM_OVERHEAD_BYTES;
        private boolean lockMemory = ConfigKeys.DEFAULT_MEMORY_LOCK;
        private int warmUpExchanges = ConfigKeys.DEFAULT_WARM_UP_EXCHANGES;
        private long memoryBudgetBytes = ConfigKeys.DEFAULT_MEMORY_BUDGET_BYTES;
        private String accessLogPath = ConfigKeys.DEFAULT_ACCESS_LOG_PATH;
        private String accessLogFormat = ConfigKeys.DEFAULT_ACCESS_LOG_FORMAT;
        private int accessLogRecords = ConfigKeys.DEFAULT_ACCESS_LOG_RECORDS;
        private int accessLogMaxTargetBytes = ConfigKeys.DEFAULT_ACCESS_LOG_MAX_TARGET_BYTES;
        // admin.listen's default is none: off.
        private String adminHost;
        private int adminPort;
        private long drainTimeoutMs = ConfigKeys.DEFAULT_DRAIN_TIMEOUT_MS;

        private Builder() {
        }

        /**
         * @param host host or address to bind.
         * @param port port to bind, 0 for any free port.
         * @return this.
         */
        public Builder listen(final String host, final int port) {
            this.listenHost = host;
            this.listenPort = port;
            return this;
        }

        /**
         * @param host the origin's host.
         * @param port the origin's port.
         * @return this.
         */
        public Builder upstream(final String host, final int port) {
            this.upstreamHost = host;
            this.upstreamPort = port;
            return this;
        }

        /** @param value listen backlog. @return this. */
        public Builder acceptBacklog(final int value) {
            this.acceptBacklog = value;
            return this;
        }

        /** @param value longest wait in the listen backlog while every slot is taken, ms. @return this. */
        public Builder acceptQueueTimeoutMs(final long value) {
            this.acceptQueueTimeoutMs = value;
            return this;
        }

        /** @param value idle time after which a keep-alive connection may give its slot up, ms. @return this. */
        public Builder acceptReclaimIdleAfterMs(final long value) {
            this.acceptReclaimIdleAfterMs = value;
            return this;
        }

        /**
         * @param value queue delay of a parse, upstream or write thread's inbox (or stall) above which new work gets
         *              503, ms; 0: none.
         * @return this.
         */
        public Builder admissionQueueDelayMs(final long value) {
            this.admissionQueueDelayMs = value;
            return this;
        }

        /** @param value {@code true} to set {@code SO_REUSEPORT} on the listening socket. @return this. */
        public Builder reusePort(final boolean value) {
            this.reusePort = value;
            return this;
        }

        /** @param value connection slots. @return this. */
        public Builder connections(final int value) {
            this.connections = value;
            return this;
        }

        /** @param value ring entries, a power of two; 0 picks one from the slots. @return this. */
        public Builder ringSize(final int value) {
            this.ringSize = value;
            return this;
        }

        /** @param value parse threads. @return this. */
        public Builder parseThreads(final int value) {
            this.parseThreads = value;
            return this;
        }

        /** @param value parse buffer bytes. @return this. */
        public Builder parseBufferBytes(final int value) {
            this.parseBufferBytes = value;
            return this;
        }

        /** @param value longest request line, bytes. @return this. */
        public Builder maxRequestLineBytes(final int value) {
            this.maxRequestLineBytes = value;
            return this;
        }

        /** @param value most header fields per request. @return this. */
        public Builder maxHeaders(final int value) {
            this.maxHeaders = value;
            return this;
        }

        /** @param value largest request body, bytes; 0 for no limit. @return this. */
        public Builder maxBodyBytes(final long value) {
            this.maxBodyBytes = value;
            return this;
        }

        /** @param value {@code true} to add {@code X-Forwarded-Proto}. @return this. */
        public Builder xForwardedProto(final boolean value) {
            this.xForwardedProto = value;
            return this;
        }

        /** @param value {@code true} to add {@code X-Forwarded-Host}. @return this. */
        public Builder xForwardedHost(final boolean value) {
            this.xForwardedHost = value;
            return this;
        }

        /** @param value {@code true} to append to {@code Forwarded}. @return this. */
        public Builder forwarded(final boolean value) {
            this.forwarded = value;
            return this;
        }

        /** @param value {@code true} to append to {@code Via}. @return this. */
        public Builder via(final boolean value) {
            this.via = value;
            return this;
        }

        /** @param value most origin connections open at once, 0 for one per slot. @return this. */
        public Builder upstreamMaxConnections(final int value) {
            this.upstreamMaxConnections = value;
            return this;
        }

        /** @param value upstream threads. @return this. */
        public Builder upstreamThreads(final int value) {
            this.upstreamThreads = value;
            return this;
        }

        /** @param value upstream buffer bytes. @return this. */
        public Builder upstreamBufferBytes(final int value) {
            this.upstreamBufferBytes = value;
            return this;
        }

        /** @param value write threads. @return this. */
        public Builder writeThreads(final int value) {
            this.writeThreads = value;
            return this;
        }

        /** @param value {@code true} to write response parts through from the upstream stage. @return this. */
        public Builder writeThrough(final boolean value) {
            this.writeThrough = value;
            return this;
        }

        /**
         * @param value {@code true} to run parse and upstream thread i on one thread, {@code false} not to.
         * @return this.
         */
        public Builder fuseParseUpstream(final boolean value) {
            return fuseParseUpstream(Boolean.toString(value));
        }

        /** @param value auto, true or false ({@code fuse-parse-upstream}). @return this. */
        public Builder fuseParseUpstream(final String value) {
            this.fuseParseUpstream = value;
            return this;
        }

        /** @param value yields before an idle stage sleeps, 0 to sleep at once. @return this. */
        public Builder idleYields(final int value) {
            this.idleYields = value;
            return this;
        }

        /** @param value longest wait for a busy origin pool, then 503, milliseconds. @return this. */
        public Builder upstreamQueueTimeoutMs(final long value) {
            this.upstreamQueueTimeoutMs = value;
            return this;
        }

        /** @param value failures in a row that eject a server, 0 never. @return this. */
        public Builder upstreamMaxFails(final int value) {
            this.upstreamMaxFails = value;
            return this;
        }

        /** @param value milliseconds an ejected server is left out. @return this. */
        public Builder upstreamFailTimeoutMs(final long value) {
            this.upstreamFailTimeoutMs = value;
            return this;
        }

        /** @param value {@code true} to retry an idempotent request that could not connect. @return this. */
        public Builder upstreamRetry(final boolean value) {
            this.upstreamRetry = value;
            return this;
        }

        /** @param value milliseconds between active checks of one server. @return this. */
        public Builder upstreamHealthIntervalMs(final long value) {
            this.upstreamHealthIntervalMs = value;
            return this;
        }

        /** @param value milliseconds an active check may take. @return this. */
        public Builder upstreamHealthTimeoutMs(final long value) {
            this.upstreamHealthTimeoutMs = value;
            return this;
        }

        /** @param value failed active checks in a row that mark a server down. @return this. */
        public Builder upstreamHealthFall(final int value) {
            this.upstreamHealthFall = value;
            return this;
        }

        /** @param value passed active checks in a row that mark a server up. @return this. */
        public Builder upstreamHealthRise(final int value) {
            this.upstreamHealthRise = value;
            return this;
        }

        /**
         * @param groups the {@code upstreams:} section; empty for the one group of {@code upstream.address}.
         * @return this.
         */
        public Builder upstreamGroups(final List<UpstreamGroupConfig> groups) {
            this.upstreamGroups = List.copyOf(groups);
            return this;
        }

        /** @param value the {@code routes:} list. @return this. */
        public Builder routes(final List<RouteConfig> value) {
            this.routes = List.copyOf(value);
            return this;
        }

        /** @param value longest a request head may take, then 408, milliseconds. @return this. */
        public Builder clientHeadTimeoutMs(final long value) {
            this.clientHeadTimeoutMs = value;
            return this;
        }

        /** @param value longest wait for the next request-body bytes, milliseconds. @return this. */
        public Builder clientBodyTimeoutMs(final long value) {
            this.clientBodyTimeoutMs = value;
            return this;
        }

        /** @param value longest a client may leave response bytes unread, milliseconds. @return this. */
        public Builder clientSendTimeoutMs(final long value) {
            this.clientSendTimeoutMs = value;
            return this;
        }

        /** @param value least bytes per second a client must move while waited on. @return this. */
        public Builder clientMinRateBytes(final long value) {
            this.clientMinRateBytes = value;
            return this;
        }

        /** @param value longest an idle keep-alive client stays open, milliseconds. @return this. */
        public Builder keepAliveTimeoutMs(final long value) {
            this.keepAliveTimeoutMs = value;
            return this;
        }

        /** @param value longest wait to connect to the origin, milliseconds. @return this. */
        public Builder upstreamConnectTimeoutMs(final long value) {
            this.upstreamConnectTimeoutMs = value;
            return this;
        }

        /** @param value longest wait for origin bytes or acceptance, ms. @return this. */
        public Builder upstreamResponseTimeoutMs(final long value) {
            this.upstreamResponseTimeoutMs = value;
            return this;
        }

        /** @param value longest unread input is drained after a close, milliseconds. @return this. */
        public Builder lingerTimeoutMs(final long value) {
            this.lingerTimeoutMs = value;
            return this;
        }

        /**
         * @param value {@code timeout.tunnel-idle} in milliseconds.
         * @return this builder.
         */
        public Builder tunnelIdleTimeoutMs(final long value) {
            this.tunnelIdleTimeoutMs = value;
            return this;
        }

        /** @param value {@code SO_RCVBUF} bytes. @return this. */
        public Builder socketReceiveBufferBytes(final int value) {
            this.socketReceiveBufferBytes = value;
            return this;
        }

        /** @param value {@code SO_SNDBUF} bytes. @return this. */
        public Builder socketSendBufferBytes(final int value) {
            this.socketSendBufferBytes = value;
            return this;
        }

        /** @param value the response path's {@code SO_RCVBUF}/{@code SO_SNDBUF} bytes. @return this. */
        public Builder socketResponseBufferBytes(final int value) {
            this.socketResponseBufferBytes = value;
            return this;
        }

        /** @param value the grown {@code SO_SNDBUF} of a client socket, bytes. @return this. */
        public Builder largeResponseBufferBytes(final int value) {
            this.largeResponseBufferBytes = value;
            return this;
        }

        /** @param value client sockets that may hold a grown send buffer at once; 0: none. @return this. */
        public Builder largeResponseBufferCount(final int value) {
            this.largeResponseBufferCount = value;
            return this;
        }

        /** @param value heap bytes. @return this. */
        public Builder heapBytes(final long value) {
            this.heapBytes = value;
            return this;
        }

        /** @param value thread stack bytes. @return this. */
        public Builder threadStackBytes(final long value) {
            this.threadStackBytes = value;
            return this;
        }

        /** @param value stack bytes each stage thread touches before its first turn; 0 for off. @return this. */
        public Builder stackPretouchBytes(final long value) {
            this.stackPretouchBytes = value;
            return this;
        }

        /** @param value a CPU list such as {@code 0-3,6}, or {@code none}. @return this. */
        public Builder affinity(final String value) {
            this.affinity = value;
            return this;
        }

        /** @param value metaspace cap bytes. @return this. */
        public Builder metaspaceBytes(final long value) {
            this.metaspaceBytes = value;
            return this;
        }

        /** @param value code cache bytes. @return this. */
        public Builder codeCacheBytes(final long value) {
            this.codeCacheBytes = value;
            return this;
        }

        /** @param value direct memory cap bytes. @return this. */
        public Builder directMemoryBytes(final long value) {
            this.directMemoryBytes = value;
            return this;
        }

        /** @param value JVM overhead allowance bytes. @return this. */
        public Builder jvmOverheadBytes(final long value) {
            this.jvmOverheadBytes = value;
            return this;
        }

        /** @param value {@code true} to mlock the arenas. @return this. */
        public Builder lockMemory(final boolean value) {
            this.lockMemory = value;
            return this;
        }

        /**
         * @param value {@code jvm.warm-up}.
         * @return this.
         */
        public Builder warmUpExchanges(final int value) {
            this.warmUpExchanges = value;
            return this;
        }

        /** @param value memory budget bytes; 0 for none. @return this. */
        public Builder memoryBudgetBytes(final long value) {
            this.memoryBudgetBytes = value;
            return this;
        }

        /** @param value the access log's file, {@code -} for standard output, {@code none} for off. @return this. */
        public Builder accessLogPath(final String value) {
            this.accessLogPath = value;
            return this;
        }

        /** @param value {@code common}, {@code combined} or {@code json}. @return this. */
        public Builder accessLogFormat(final String value) {
            this.accessLogFormat = value;
            return this;
        }

        /** @param value records the access log ring holds at least, a power of two. @return this. */
        public Builder accessLogRecords(final int value) {
            this.accessLogRecords = value;
            return this;
        }

        /** @param value bytes of target, Referer and User-Agent kept per record. @return this. */
        public Builder accessLogMaxTargetBytes(final int value) {
            this.accessLogMaxTargetBytes = value;
            return this;
        }

        /**
         * @param host host or address of the admin listener, {@code null} for off.
         * @param port its port, 0 for any free port.
         * @return this.
         */
        public Builder adminListen(final String host, final int port) {
            this.adminHost = host;
            this.adminPort = port;
            return this;
        }

        /** @param value longest drain after SIGTERM, milliseconds. @return this. */
        public Builder drainTimeoutMs(final long value) {
            this.drainTimeoutMs = value;
            return this;
        }

        /**
         * Validate every value and build: first each key against the bounds of its row in {@link ConfigKeys}, in
         * the table's order, then the rules across keys.
         *
         * @return the configuration; {@code ring-size} 0 is resolved to the smallest power of two at least
         *     2 x {@code connections}.
         * @throws ConfigException naming the first offending key and its rule.
         */
        public WeirConfig build() {
            final WeirConfig unchecked = new WeirConfig(this, ringSize);
            final List<ConfigKeys.Key> keys = ConfigKeys.all();
            for (int i = 0; i < keys.size(); i++) {
                keys.get(i).check(unchecked);
            }
            final int resolvedRingSize = resolveRingSize();
            if (upstreamBufferBytes < parseBufferBytes + ConfigKeys.FORWARDED_HEAD_MARGIN_BYTES) {
                // The forwarded head (the parsed head plus X-Forwarded-For) is written into the upstream block.
                throw new ConfigException("upstream.buffer", "must be at least parse.buffer + "
                    + Sizes.format(ConfigKeys.FORWARDED_HEAD_MARGIN_BYTES) + " (got "
                    + Sizes.format(upstreamBufferBytes) + " with parse.buffer " + Sizes.format(parseBufferBytes) + ")");
            }
            if (unchecked.maxRequestLineBytes() > parseBufferBytes) {
                // The request line is read into the parse block with the rest of the head.
                throw new ConfigException("parse.max-request-line", "must be at most parse.buffer ("
                    + Sizes.format(parseBufferBytes) + "): the line is read into the parse buffer (got "
                    + Sizes.format(unchecked.maxRequestLineBytes()) + ")");
            }
            checkUpstreamMaxConnections();
            if (largeResponseBufferCount > 0 && largeResponseBufferBytes <= socketResponseBufferBytes) {
                // Growing to the size a socket already has would hold a grant for nothing.
                throw new ConfigException("socket.large-response-buffer", "must be larger than"
                    + " socket.response-buffer (" + Sizes.format(socketResponseBufferBytes) + ") while"
                    + " socket.large-response-buffer-count is not 0 (got " + Sizes.format(largeResponseBufferBytes)
                    + ")");
            }
            checkFuseParseUpstream();
            checkStackPretouch();
            affinityCpus = CpuList.parse("affinity", affinity);
            if (affinityCpus.length > 0) {
                // Read only when pinning: the memory budget's search builds a configuration some 40 times.
                CpuList.checkAllowed("affinity", affinityCpus, ProcessStatus.allowedCpuList());
            }
            if (adminHost != null && adminPort != 0 && adminPort == listenPort && overlap(adminHost, listenHost)) {
                throw new ConfigException("admin.listen", "must differ from accept.listen (both "
                    + HostPort.format(adminHost, adminPort) + ")");
            }
            // Asked only when wanted: the probe opens (and closes) a socket channel once per JVM.
            checkReusePort(reusePort, reusePort && ReusePort.SUPPORTED);
            UpstreamRules.check(upstreamGroups, routes);
            checkAccessLog();
            final WeirConfig config = new WeirConfig(this, resolvedRingSize);
            checkAccessLogSizes(config);
            final long heapNeeded = StageSizes.heapRequiredBytes(config);
            if (heapBytes < heapNeeded) {
                throw new ConfigException("jvm.heap", "must be at least " + Sizes.format(roundUpToMib(heapNeeded))
                    + " for the baseline, rings, slot table and boxed descriptors of " + connections
                    + " connections (got "
                    + Sizes.formatWithUnit(heapBytes) + ")");
            }
            return config;
        }

        /**
         * @param wanted    {@code accept.reuse-port}.
         * @param supported whether the platform has {@code SO_REUSEPORT}.
         * @throws ConfigException naming {@code accept.reuse-port} when it is wanted and not supported.
         */
        static void checkReusePort(final boolean wanted, final boolean supported) {
            if (wanted && !supported) {
                throw new ConfigException("accept.reuse-port", ReusePort.UNSUPPORTED);
            }
        }

        /** {@code jvm.stack-pretouch} must leave {@code jvm.thread-stack} room for the JVM's guard zones. */
        private void checkStackPretouch() {
            final long most = threadStackBytes - ConfigKeys.STACK_PRETOUCH_MARGIN_BYTES;
            if (stackPretouchBytes != NOT_SET && stackPretouchBytes > most) {
                throw new ConfigException("jvm.stack-pretouch", "must be at most jvm.thread-stack - "
                    + Sizes.format(ConfigKeys.STACK_PRETOUCH_MARGIN_BYTES) + " (" + Sizes.format(Math.max(0, most))
                    + " with jvm.thread-stack " + Sizes.format(threadStackBytes) + "): the JVM's guard and shadow"
                    + " zones need the rest (got " + Sizes.format(stackPretouchBytes) + ")");
            }
        }

        /**
         * Whether two listen hosts on one port would take the same socket: the same name, either the wildcard
         * address, or names for the same address ({@code localhost} and {@code 127.0.0.1}). A name that does not
         * resolve here conflicts with nothing; binding it fails later with its own message.
         */
        private static boolean overlap(final String a, final String b) {
            if (a.equals(b)) {
                return true;
            }
            try {
                final InetAddress first = InetAddress.getByName(a);
                final InetAddress second = InetAddress.getByName(b);
                return first.isAnyLocalAddress() || second.isAnyLocalAddress() || first.equals(second);
            } catch (final UnknownHostException e) {
                return false;
            }
        }

        /** One fused thread runs parse thread i and upstream thread i: the counts must match. */
        private void checkFuseParseUpstream() {
            if (!ConfigKeys.find("fuse-parse-upstream").choices().contains(fuseParseUpstream)) {
                throw new ConfigException("fuse-parse-upstream", "must be auto, true or false (got '"
                    + fuseParseUpstream + "')");
            }
            if ("true".equals(fuseParseUpstream) && parseThreads != upstreamThreads) {
                throw new ConfigException("fuse-parse-upstream", "needs parse.threads (" + parseThreads
                    + ") equal to upstream.threads (" + upstreamThreads + "): each fused thread runs one of each");
            }
        }

        /** Rules across keys for {@code upstream.max-connections}; its own bounds are in its row. */
        private void checkUpstreamMaxConnections() {
            if (upstreamMaxConnections == 0) {
                return;
            }
            if (upstreamMaxConnections < upstreamThreads) {
                throw new ConfigException("upstream.max-connections", "must be 0 or at least upstream.threads ("
                    + upstreamThreads + ") so every upstream thread owns a connection (got " + upstreamMaxConnections
                    + ")");
            }
            if (upstreamMaxConnections > connections) {
                throw new ConfigException("upstream.max-connections", "must be at most connections (" + connections
                    + "): a slot holds at most one origin connection (got " + upstreamMaxConnections + ")");
            }
        }

        /** The access log's path must name a file Weir can create or append to; its format must be known. */
        private void checkAccessLog() {
            if (!ConfigKeys.find("access-log.format").choices().contains(accessLogFormat)) {
                throw new ConfigException("access-log.format", "must be common, combined or json (got '"
                    + accessLogFormat + "')");
            }
            if (accessLogPath == null || accessLogPath.isBlank()) {
                throw new ConfigException("access-log.path", "must be a file path, - or none (got '" + accessLogPath
                    + "')");
            }
            if (ConfigKeys.ACCESS_LOG_OFF.equals(accessLogPath) || ConfigKeys.ACCESS_LOG_STDOUT.equals(accessLogPath)) {
                return;
            }
            final Path file = Paths.get(accessLogPath).toAbsolutePath();
            if (Files.isDirectory(file)) {
                throw new ConfigException("access-log.path", "is a directory, not a file (got " + accessLogPath + ")");
            }
            if (Files.exists(file) ? !Files.isWritable(file)
                : file.getParent() == null || !Files.isDirectory(file.getParent())
                    || !Files.isWritable(file.getParent())) {
                throw new ConfigException("access-log.path", "cannot be written: the file, or the directory to"
                    + " create it in, is missing or read-only (got " + accessLogPath + ")");
            }
        }

        /** The log arena's parts are addressed with ints: each must stay within 1 GiB. */
        private static void checkAccessLogSizes(final WeirConfig config) {
            if (!config.accessLogOn()) {
                return;
            }
            final long ring = (long) config.accessLogRecords() * AccessLog.recordSlotBytes(config);
            if (ring > MAX_LOG_REGION_BYTES) {
                throw new ConfigException("access-log.records", "x " + AccessLog.recordSlotBytes(config)
                    + " B a record (from access-log.max-target) must be at most 1g (got " + config.accessLogRecords()
                    + ")");
            }
            final long captures = (long) config.connections() * AccessLog.captureBytesPerSlot(config);
            if (captures > MAX_LOG_REGION_BYTES) {
                throw new ConfigException("access-log.max-target", "makes connections x "
                    + AccessLog.captureBytesPerSlot(config) + " B of capture, more than 1g (got "
                    + Sizes.format(config.accessLogMaxTargetBytes()) + ")");
            }
        }

        /** Resolve {@code ring-size} 0 and check it against the slots; that it is 0 or a power of two is checked. */
        private int resolveRingSize() {
            // A slot may sit in the upstream inbox twice: its request half and its response half.
            final int minimum = 2 * connections;
            if (ringSize == 0) {
                return Integer.highestOneBit(minimum - 1) << 1;
            }
            if (ringSize < minimum) {
                throw new ConfigException("ring-size", "must be at least 2 x connections (" + minimum
                    + ") so a hand-off never finds a ring full (got " + ringSize + ")");
            }
            return ringSize;
        }

        private static long roundUpToMib(final long bytes) {
            return (bytes + Sizes.MIB - 1) / Sizes.MIB * Sizes.MIB;
        }
    }
}
