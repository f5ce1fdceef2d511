package dev.weir.bench.jmh;

import dev.weir.bench.http.HttpHead;
import dev.weir.bench.http.HttpScan;
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

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Cost of the demo origin's request-head scan ({@link HttpScan#parseRequest}), which runs once per request on
 * the origin's selector thread; must allocate nothing ({@code -prof gc}: gc.alloc.rate.norm about 0 B/op).
 * <p>
 * <b>Note:</b> JMH state; one instance per benchmark thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RequestScanBenchmark {

    private static final String WRK = "GET /bytes/128 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
    private static final String BROWSER = "GET /bytes/16384?utm_source=bench HTTP/1.1\r\n"
        + "Host: www.example.com\r\n"
        + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
        + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
        + "Accept-Language: en-GB,en;q=0.5\r\n"
        + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
        + "Connection: keep-alive\r\n"
        + "Cookie: session=4f6d1c2e9a8b7f3e; theme=dark; consent=1\r\n"
        + "Upgrade-Insecure-Requests: 1\r\n"
        + "Sec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Site: none\r\n"
        + "X-Forwarded-For: 203.0.113.7, 198.51.100.2\r\n\r\n";

    /** Which request head to scan. */
    @Param({"wrk", "browser"})
    public String request;

    private byte[] buffer;
    private final HttpHead head = new HttpHead();

    /** Prepares the request bytes. */
    @Setup
    public void setUp() {
        buffer = ("wrk".equals(request) ? WRK : BROWSER).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Scans one head.
     *
     * @return the body offset (consumed so the work is not eliminated).
     */
    @Benchmark
    public int parseRequest() {
        return HttpScan.parseRequest(buffer, 0, buffer.length, head) + head.method();
    }
}
