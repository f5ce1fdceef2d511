package dev.weir.stage;

import java.net.InetSocketAddress;

import dev.weir.config.WeirConfig;

/**
 * The running proxy: committed arenas, the connection slot table, the rings and the four stages.
 * <p>
 * <b>Note:</b> {@link #start(WeirConfig)} returns once the listening socket is bound and every stage thread
 * runs; {@link #close()} stops the stages and releases the arenas.
 */
public final class Pipeline implements AutoCloseable {

    /**
     * Commit every arena, build slots and rings, bind the listening socket and start the stages.
     *
     * @param config the validated configuration.
     * @return the running pipeline.
     */
    public static Pipeline start(final WeirConfig config) {
        throw new UnsupportedOperationException("pipeline not yet implemented");
    }

    /** @return the bound listening address (the real port when the configuration asked for 0). */
    public InetSocketAddress listenAddress() {
        throw new UnsupportedOperationException();
    }

    /** Stop every stage thread, close every socket and release the arenas. */
    @Override
    public void close() {
        throw new UnsupportedOperationException();
    }
}
