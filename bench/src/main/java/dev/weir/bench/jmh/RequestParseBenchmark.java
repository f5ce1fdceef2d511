package dev.weir.bench.jmh;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

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
 * Parsing one whole request head from a native block: a typical browser GET (~500 B) and a header-heavy
 * request (40 fields). Run with {@code -prof gc}: {@code gc.alloc.rate.norm} must be ~0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Thread)
public class RequestParseBenchmark extends ChronicleFork {

    /** Which request: {@code browser} or {@code headers40}. */
    @Param({"browser", "headers40"})
    public String request;

    private final RequestHeadParser parser = new RequestHeadParser();
    private final RequestHead head = new RequestHead();
    private BytesStore<?, ?> store;
    private int length;

    /** Write the request into a native block once. */
    @Setup(Level.Trial)
    public void setUp() {
        final byte[] bytes = Requests.byName(request).getBytes(StandardCharsets.US_ASCII);
        store = BytesStore.nativeStoreWithFixedCapacity(Requests.BLOCK_SIZE);
        store.write(0, bytes);
        length = bytes.length;
        head.reset();
        if (parser.parse(store, 0, length, Requests.BLOCK_SIZE, head) != ParseStatus.COMPLETE) {
            throw new IllegalStateException("benchmark request does not parse: " + request);
        }
    }

    /** Release the block. */
    @TearDown(Level.Trial)
    public void tearDown() {
        store.releaseLast();
    }

    /** @return the status and head length, so the parse cannot be eliminated. */
    @Benchmark
    public int parse() {
        head.reset();
        return parser.parse(store, 0, length, Requests.BLOCK_SIZE, head) + head.headLength();
    }

    /** The requests the HTTP benchmarks share. */
    static final class Requests {

        /** Size of a parse block, as Weir's default. */
        static final int BLOCK_SIZE = 16 * 1024;

        static final String BROWSER = "GET /assets/app.js?v=4f2a9c HTTP/1.1\r\n"
            + "Host: www.example.com\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
            + "Accept-Language: en-GB,en;q=0.5\r\n"
            + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
            + "Referer: https://www.example.com/index.html\r\n"
            + "Connection: keep-alive\r\n"
            + "Cookie: session=4f2a9c7d1e8b; theme=dark; consent=1\r\n"
            + "Upgrade-Insecure-Requests: 1\r\n"
            + "Sec-Fetch-Dest: script\r\n"
            + "Sec-Fetch-Mode: no-cors\r\n"
            + "Sec-Fetch-Site: same-origin\r\n"
            + "Priority: u=1\r\n"
            + "\r\n";

        static final String HEADERS_40 = headers40();

        private Requests() {
        }

        static String byName(final String name) {
            switch (name) {
                case "browser":
                    return BROWSER;
                case "headers40":
                    return HEADERS_40;
                default:
                    throw new IllegalArgumentException("unknown request " + name);
            }
        }

        private static String headers40() {
            final StringBuilder sb = new StringBuilder("POST /api/v2/orders HTTP/1.1\r\nHost: api.example.com\r\n"
                + "Content-Length: 128\r\nX-Forwarded-For: 192.0.2.10\r\nConnection: keep-alive\r\n");
            for (int i = 4; i < 40; i++) {
                sb.append("X-Custom-Header-").append(i).append(": value-").append(i).append("-abcdefghij\r\n");
            }
            return sb.append("\r\n").toString();
        }
    }
}
