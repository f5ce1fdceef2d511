package dev.weir.bench.jmh;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import dev.weir.http.HeaderRewriter;
import dev.weir.http.ParseStatus;
import dev.weir.http.RequestHead;
import dev.weir.http.RequestHeadParser;
import net.openhft.chronicle.bytes.BytesStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Writing the head forwarded to the origin from a parsed request (hop-by-hop fields dropped,
 * {@code X-Forwarded-For} appended). Run with {@code -prof gc}: {@code gc.alloc.rate.norm} must be ~0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Thread)
public class HeaderRewriteBenchmark extends ChronicleFork {

    /** Which request: {@code browser} or {@code headers40}. */
    @Param({"browser", "headers40"})
    public String request;

    private static final byte[] CLIENT = "203.0.113.77".getBytes(StandardCharsets.US_ASCII);

    private final HeaderRewriter rewriter = new HeaderRewriter();
    private final RequestHead head = new RequestHead();
    private BytesStore<?, ?> src;
    private BytesStore<?, ?> dst;

    /** Parse the request once; the benchmark rewrites the same head over and over. */
    @Setup(Level.Trial)
    public void setUp() {
        final int blockSize = RequestParseBenchmark.Requests.BLOCK_SIZE;
        final byte[] bytes = RequestParseBenchmark.Requests.byName(request).getBytes(StandardCharsets.US_ASCII);
        src = BytesStore.nativeStoreWithFixedCapacity(blockSize);
        dst = BytesStore.nativeStoreWithFixedCapacity(blockSize);
        src.write(0, bytes);
        if (new RequestHeadParser().parse(src, 0, bytes.length, blockSize, head) != ParseStatus.COMPLETE) {
            throw new IllegalStateException("benchmark request does not parse: " + request);
        }
        if (rewrite() <= 0) {
            throw new IllegalStateException("benchmark request does not rewrite: " + request);
        }
    }

    /** Release the stores. */
    @TearDown(Level.Trial)
    public void tearDown() {
        src.releaseLast();
        dst.releaseLast();
    }

    /** @return bytes written. */
    @Benchmark
    public int rewrite() {
        return rewriter.rewrite(src, 0, head, dst, 0, RequestParseBenchmark.Requests.BLOCK_SIZE, CLIENT, CLIENT.length);
    }
}
