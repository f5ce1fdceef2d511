package dev.weir.stage;

import dev.weir.config.WeirConfig;

/**
 * Every deadline of the pipeline in nanoseconds, read once from the configuration.
 * <p>
 * <b>Note:</b> immutable.
 */
final class StageTimeouts {

    private static final long NS_PER_MS = 1_000_000L;

    final long clientHeadNs;
    final long clientBodyNs;
    final long clientSendNs;
    final long keepAliveNs;
    /** Idle time after which a keep-alive connection may give its slot up ({@code accept.reclaim-idle-after}). */
    final long reclaimIdleAfterNs;
    final long upstreamConnectNs;
    final long upstreamResponseNs;
    final long queueNs;
    final long lingerNs;
    final long tunnelIdleNs;
    /** The minimum-rate rule over {@link #clientBodyNs}'s windows, for a request body. */
    final MinimumRate bodyRate;
    /** The same over {@link #clientSendNs}'s windows, for a response. */
    final MinimumRate sendRate;
    /** The same over {@link #lingerNs}'s windows, for a lingering close. */
    final MinimumRate lingerRate;

    private StageTimeouts(final WeirConfig c) {
        clientHeadNs = c.clientHeadTimeoutMs() * NS_PER_MS;
        clientBodyNs = c.clientBodyTimeoutMs() * NS_PER_MS;
        clientSendNs = c.clientSendTimeoutMs() * NS_PER_MS;
        keepAliveNs = c.keepAliveTimeoutMs() * NS_PER_MS;
        reclaimIdleAfterNs = c.acceptReclaimIdleAfterMs() * NS_PER_MS;
        upstreamConnectNs = c.upstreamConnectTimeoutMs() * NS_PER_MS;
        upstreamResponseNs = c.upstreamResponseTimeoutMs() * NS_PER_MS;
        queueNs = c.upstreamQueueTimeoutMs() * NS_PER_MS;
        lingerNs = c.lingerTimeoutMs() * NS_PER_MS;
        tunnelIdleNs = c.tunnelIdleTimeoutMs() * NS_PER_MS;
        bodyRate = new MinimumRate(clientBodyNs, c.clientMinRateBytes());
        sendRate = new MinimumRate(clientSendNs, c.clientMinRateBytes());
        lingerRate = new MinimumRate(lingerNs, c.clientMinRateBytes());
    }

    /**
     * @param config the validated configuration.
     * @return its deadlines.
     */
    static StageTimeouts of(final WeirConfig config) {
        return new StageTimeouts(config);
    }
}
