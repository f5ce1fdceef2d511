package dev.weir.bench.jmh;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.BytesStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.weir.config.RouteConfig;
import dev.weir.config.UpstreamGroupConfig;
import dev.weir.upstream.Balancer;
import dev.weir.upstream.RouteTable;
import dev.weir.upstream.UpstreamGroup;
import dev.weir.upstream.UpstreamServer;

/**
 * Cost of what the upstream stage adds per request for routing: matching the route table (a request whose
 * host is one of {@code routes} exact hosts, the last in the table's order, so every route is compared) and a
 * balancer's pick over four servers. Both must allocate nothing ({@code -prof gc}: about 0 B/op).
 * <p>
 * <b>Note:</b> JMH state; one instance per benchmark thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RoutingBenchmark {

    /** Routes in the table: exact hosts {@code host-N.example.com} with a path each, and one suffix rule. */
    @Param({"4", "64"})
    public int routes;

    /** Balance of the four-server group. */
    @Param({"round-robin", "least-connections"})
    public String balance;

    private RouteTable table;
    private BytesStore<?, ?> store;
    private int hostLength;
    private int pathLength;
    private Balancer balancer;
    private final int[] inFlight = new int[4];

    /** Builds the table, the request bytes and the group. */
    @Setup
    public void setUp() {
        final List<RouteConfig> list = new ArrayList<>();
        final List<String> groups = new ArrayList<>();
        groups.add("default");
        for (int i = 0; i < routes - 1; i++) {
            groups.add("g" + i);
            list.add(new RouteConfig("host-" + i + ".example.com", "/api/", "g" + i, "routes[" + i + "]"));
        }
        list.add(new RouteConfig("*.example.com", null, "default", "routes[" + routes + "]"));
        table = RouteTable.compile(list, groups, 0);
        final String host = "Host-" + (routes - 2) + ".Example.com:8080";
        final String path = "/api/users?id=42";
        final byte[] bytes = (host + path).getBytes(StandardCharsets.US_ASCII);
        store = BytesStore.wrap(bytes);
        hostLength = host.length();
        pathLength = path.length();
        final List<UpstreamGroupConfig.Server> servers = new ArrayList<>();
        final UpstreamServer[] shared = new UpstreamServer[4];
        for (int i = 0; i < 4; i++) {
            servers.add(new UpstreamGroupConfig.Server("127.0.0.1", 9000 + i, i + 1, "s" + i));
            shared[i] = new UpstreamServer(i, "g", "127.0.0.1:" + (9000 + i), null, i + 1, 1);
        }
        final int mode = "least-connections".equals(balance) ? UpstreamGroupConfig.LEAST_CONNECTIONS
            : UpstreamGroupConfig.ROUND_ROBIN;
        balancer = new Balancer(new UpstreamGroup(new UpstreamGroupConfig("g", servers, mode, true, 1, 10_000, 1,
            null, 1_000, 1_000, 1, 1), shared));
    }

    /**
     * Matches one request's host and path.
     *
     * @return the group index (consumed so the work is not eliminated).
     */
    @Benchmark
    public int matchRoute() {
        return table.match(store, 0, hostLength, hostLength, pathLength);
    }

    /**
     * Picks a server.
     *
     * @return the server index.
     */
    @Benchmark
    public int pickServer() {
        return balancer.pick(0, -1, inFlight);
    }
}
