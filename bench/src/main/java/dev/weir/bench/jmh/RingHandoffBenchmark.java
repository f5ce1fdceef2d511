package dev.weir.bench.jmh;

import java.io.IOException;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;

import com.lmax.disruptor.EventPoller;
import dev.weir.ring.HandoffEvent;
import dev.weir.ring.StageRing;
import dev.weir.ring.WakeSignal;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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
 * Hand-off throughput of a {@link StageRing} between a producer and a consumer thread, the way a stage passes
 * a connection slot to the next. Neither side blocks: a call that finds the ring full (or empty) returns, so
 * JMH's call rate counts attempts; the {@code offered} and {@code received} secondary results count hand-offs.
 * The consumer never sleeps, so {@link WakeSignal#signal()} costs one volatile read per offer.
 * Run with {@code -prof gc}: {@code gc.alloc.rate.norm} must be ~0 B/op.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class RingHandoffBenchmark extends ChronicleFork {

    /** The ring shared by the group's two threads. */
    @State(Scope.Group)
    public static class Ring {

        /** Ring entries, a power of two. */
        @Param({"1024"})
        public int ringSize;

        Selector selector;
        StageRing ring;

        /** Build the ring and the consumer's wake signal. */
        @Setup(Level.Trial)
        public void setUp() throws IOException {
            selector = Selector.open();
            ring = new StageRing("bench", ringSize, new WakeSignal(selector));
        }

        /** Close the selector. */
        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            selector.close();
        }
    }

    /** Hand-offs made by the producer thread. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Producer {
        /** Slots published. */
        public long offered;
        int next;

        /** Zero the counter for each iteration. */
        @Setup(Level.Iteration)
        public void clear() {
            offered = 0;
        }
    }

    /** Hand-offs seen by the consumer thread. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Consumer {
        /** Slots taken off the ring. */
        public long received;
        int lastSlot;
        // Allocates: one bound method reference per consumer thread, at state creation.
        final EventPoller.Handler<HandoffEvent> handler = this::onEvent;

        /** Zero the counter for each iteration. */
        @Setup(Level.Iteration)
        public void clear() {
            received = 0;
        }

        private boolean onEvent(final HandoffEvent event, final long sequence, final boolean endOfBatch) {
            lastSlot = event.slot();
            received++;
            return true;
        }
    }

    /**
     * @param ring     the shared ring.
     * @param producer the producer's counters.
     * @return the offer result.
     */
    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    public int offer(final Ring ring, final Producer producer) {
        final int result = ring.ring.offer(producer.next);
        if (result == StageRing.OFFERED) {
            producer.offered++;
            producer.next = (producer.next + 1) & 0xFFFF;
        }
        return result;
    }

    /**
     * @param ring     the shared ring.
     * @param consumer the consumer's counters, also the poll handler (a field, never a capturing lambda).
     * @return {@code true} when at least one slot was taken.
     * @throws Exception never: the handler does not throw.
     */
    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    public boolean poll(final Ring ring, final Consumer consumer) throws Exception {
        return ring.ring.poll(consumer.handler);
    }
}
