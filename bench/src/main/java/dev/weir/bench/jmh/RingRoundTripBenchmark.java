package dev.weir.bench.jmh;

import java.io.IOException;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;

import com.lmax.disruptor.EventPoller;
import dev.weir.ring.HandoffEvent;
import dev.weir.ring.StageRing;
import dev.weir.ring.WakeSignal;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Hand-off latency between two threads: the benchmark thread offers a slot index on one {@link StageRing}, an
 * echo thread polls it and offers it back on a second ring, and the benchmark thread spins until it returns.
 * One operation is one round trip, i.e. two hand-offs, the way a slot goes to a stage and comes back.
 * Both sides spin (no selector sleeps), so this is the ring's cost, not a wakeup's; it needs two free cores.
 * Run with {@code -prof gc}: {@code gc.alloc.rate.norm} must be ~0 B/op.
 */
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class RingRoundTripBenchmark extends ChronicleFork {

    private static final int RING_SIZE = 1024;

    private Selector selector;
    private StageRing there;
    private StageRing back;
    private Thread echo;
    private volatile boolean running;
    private int returned = -1;
    private int next;
    private final EventPoller.Handler<HandoffEvent> onBack = this::onBack;

    /**
     * Start the echo thread.
     *
     * @throws IOException when a selector cannot be opened.
     */
    @Setup(Level.Trial)
    public void start() throws IOException {
        selector = Selector.open();
        final WakeSignal wake = new WakeSignal(selector);
        there = new StageRing("there", RING_SIZE, wake);
        back = new StageRing("back", RING_SIZE, wake);
        running = true;
        echo = new Thread(this::echoLoop, "ring-echo");
        echo.setDaemon(true);
        echo.start();
    }

    /**
     * Stop the echo thread.
     *
     * @throws Exception when it cannot be joined.
     */
    @TearDown(Level.Trial)
    public void stop() throws Exception {
        running = false;
        echo.join(5_000);
        selector.close();
    }

    private void echoLoop() {
        final EventPoller.Handler<HandoffEvent> returnIt = (event, sequence, endOfBatch) -> {
            back.offer(event.slot());
            return true;
        };
        try {
            while (running) {
                there.poll(returnIt);
            }
        } catch (final Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    private boolean onBack(final HandoffEvent event, final long sequence, final boolean endOfBatch) {
        returned = event.slot();
        return true;
    }

    /**
     * One round trip.
     *
     * @return the slot index that came back, so the JIT cannot drop the work.
     * @throws Exception what the ring's poller throws.
     */
    @Benchmark
    public int roundTrip() throws Exception {
        final int slot = next++ & (RING_SIZE - 1);
        there.offer(slot);
        returned = -1;
        while (returned != slot) {
            back.poll(onBack);
        }
        return returned;
    }
}
