package dev.weir.bench.jmh;

import org.HdrHistogram.Histogram;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Cost of recording one latency in the load generator's histogram (10 min range, 3 significant digits, ns),
 * plain and with coordinated-omission back-filling; the plain path must allocate nothing.
 * <p>
 * <b>Note:</b> JMH state; one instance per benchmark thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HistogramRecordBenchmark {

    private final Histogram histogram = new Histogram(TimeUnit.MINUTES.toNanos(10), 3);
    private long value;

    /** Clears the histogram before each trial. */
    @Setup
    public void setUp() {
        histogram.reset();
        value = 0;
    }

    /** Records a spread of values between 0.1 and 1.6 ms, as keep-alive latencies look on loopback. */
    @Benchmark
    public void recordValue() {
        value = (value + 7919) & 0xFFFFF;
        histogram.recordValue(100_000 + value + value);
    }

    /** Records with an expected interval of 1 ms, back-filling when a value exceeds it. */
    @Benchmark
    public void recordValueWithExpectedInterval() {
        value = (value + 7919) & 0xFFFFF;
        histogram.recordValueWithExpectedInterval(100_000 + value + value, 1_000_000);
    }
}
