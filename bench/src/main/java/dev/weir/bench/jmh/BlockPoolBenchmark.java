package dev.weir.bench.jmh;

import java.util.concurrent.TimeUnit;

import dev.weir.arena.Arena;
import dev.weir.arena.BlockPool;
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
 * Taking a block from a {@link BlockPool} and giving it back on one thread, the way the accept stage binds a
 * connection's parse and upstream blocks and releases them when the slot returns. {@code acquireRelease} is
 * one pair on a pool with free blocks; {@code acquireExhausted} is the refusal path ({@link BlockPool#NO_BLOCK},
 * which also counts the failed acquisition).
 * Run with {@code -prof gc}: {@code gc.alloc.rate.norm} must be ~0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class BlockPoolBenchmark extends ChronicleFork {

    /** Blocks in the pool. */
    @Param({"1024"})
    public int blockCount;

    /** Bytes per block. */
    @Param({"16384"})
    public int blockLength;

    private Arena arena;
    private BlockPool pool;
    private BlockPool exhausted;

    /** Commit an arena for the pool (and a one-block pool held empty for the refusal path). */
    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.commit("bench", (long) blockLength * (blockCount + 1), false);
        pool = arena.carveBlocks("bench", blockLength, blockCount);
        exhausted = arena.carveBlocks("bench-empty", blockLength, 1);
        if (exhausted.tryAcquire() == BlockPool.NO_BLOCK) {
            throw new IllegalStateException("a fresh one-block pool refused its block");
        }
    }

    /** Release the arena. */
    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** @return the handle acquired and released. */
    @Benchmark
    public int acquireRelease() {
        final int block = pool.tryAcquire();
        pool.release(block);
        return block;
    }

    /** @return {@link BlockPool#NO_BLOCK}. */
    @Benchmark
    public int acquireExhausted() {
        return exhausted.tryAcquire();
    }
}
