package dev.weir.bench.jmh;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import dev.weir.http.ChunkedScanner;
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
 * Following a whole chunked body (64 KiB by default) to its end, as it arrives in reads of {@code readSize}
 * bytes. Run with {@code -prof gc}: {@code gc.alloc.rate.norm} must be ~0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Thread)
public class ChunkedScanBenchmark extends ChronicleFork {

    /** Body bytes, before framing. */
    @Param({"65536"})
    public int bodySize;

    /** Data bytes per chunk. */
    @Param({"8192", "512"})
    public int chunkSize;

    /** Bytes per scan call, as one socket read would deliver. */
    @Param({"16384"})
    public int readSize;

    private final ChunkedScanner scanner = new ChunkedScanner();
    private BytesStore<?, ?> store;
    private int length;

    /** Frame the body once into a native store. */
    @Setup(Level.Trial)
    public void setUp() {
        final StringBuilder sb = new StringBuilder();
        for (int sent = 0; sent < bodySize; sent += chunkSize) {
            final int size = Math.min(chunkSize, bodySize - sent);
            sb.append(Integer.toHexString(size)).append("\r\n").append("d".repeat(size)).append("\r\n");
        }
        final byte[] bytes = sb.append("0\r\n\r\n").toString().getBytes(StandardCharsets.US_ASCII);
        store = BytesStore.nativeStoreWithFixedCapacity(bytes.length);
        store.write(0, bytes);
        length = bytes.length;
        if (scan() != length) {
            throw new IllegalStateException("benchmark body does not scan");
        }
    }

    /** Release the store. */
    @TearDown(Level.Trial)
    public void tearDown() {
        store.releaseLast();
    }

    /** @return bytes of the body taken, so the scan cannot be eliminated. */
    @Benchmark
    public int scan() {
        scanner.reset();
        int from = 0;
        while (from < length) {
            final int read = Math.min(readSize, length - from);
            final int result = scanner.scan(store, from, read);
            if (result == ChunkedScanner.DONE) {
                return from + scanner.consumed();
            }
            if (result == ChunkedScanner.MALFORMED) {
                return -1;
            }
            from += result;
        }
        return -2;
    }
}
