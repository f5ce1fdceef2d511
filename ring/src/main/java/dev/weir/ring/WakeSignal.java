package dev.weir.ring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/**
 * Wakes a stage's selector only when the stage is about to sleep in it.
 * <p>
 * The consumer calls {@link #prepareToSleep()}, checks its rings once more, then blocks in its selector and
 * calls {@link #awake()} on return. A producer calls {@link #signal()} after publishing: it pays for a
 * wakeup (one byte down a pipe the selector watches) only when it wins the flag from a sleeping consumer, never
 * once per event, which is what lets a busy pipeline batch.
 * <p>
 * <b>Note:</b> the flag is volatile on both sides (a Dekker pair with the ring's cursor): either the consumer
 * sees the new event in its last check, or the producer sees the flag and wakes it.
 */
@SuppressWarnings("unused")
public final class WakeSignal {

    private static final VarHandle SLEEPING;
    private static final VarHandle WAKEUPS;

    static {
        try {
            SLEEPING = MethodHandles.lookup().findVarHandle(WakeSignal.class, "sleeping", int.class);
            WAKEUPS = MethodHandles.lookup().findVarHandle(WakeSignal.class, "wakeups", long.class);
        } catch (final ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    // Padding keeps the flag, written by producers on other cores, off the selector reference's cache line.
    private long p1;
    private long p2;
    private long p3;
    private long p4;
    private long p5;
    private long p6;
    private long p7;
    private volatile int sleeping;
    private long q1;
    private long q2;
    private long q3;
    private long q4;
    private long q5;
    private long q6;
    private long q7;

    /** The fallback when the pipe fails, which it does not while both ends are open. */
    private final Selector selector;
    private final Pipe pipe;
    private final SelectionKey pipeKey;
    /** The byte a producer writes; guarded by itself, since two producers may each win a wakeup. */
    private final ByteBuffer wakeByte = ByteBuffer.allocateDirect(1);
    /** Consumer only. */
    private final ByteBuffer drained = ByteBuffer.allocateDirect(64);
    private long wakeups;

    /**
     * Opens the wake pipe and registers its reading end with the consumer's selector, attached to this signal.
     *
     * @param selector the consumer stage's selector.
     */
    public WakeSignal(final Selector selector) {
        this.selector = selector;
        try {
            pipe = Pipe.open();
            pipe.sink().configureBlocking(false);
            pipe.source().configureBlocking(false);
            pipeKey = pipe.source().register(selector, SelectionKey.OP_READ, this);
        } catch (final IOException ex) {
            throw new UncheckedIOException("wake pipe", ex);
        }
    }

    /**
     * Consumer: a ready key of its selector; drains the wake pipe when it is this signal's.
     *
     * @param key a ready key.
     * @return {@code true} when the key was the wake pipe's, so no socket of the stage's.
     */
    public boolean onReady(final SelectionKey key) {
        if (key != pipeKey) {
            return false;
        }
        drained.clear();
        try {
            // One read: bytes left over keep the key ready, and the next select drains them.
            pipe.source().read(drained);
        } catch (final IOException ignored) {
            // A pipe does not fail while both ends are open.
        }
        return true;
    }

    /** Close the wake pipe; at shutdown, after the consumer stopped. */
    public void close() {
        try {
            pipe.sink().close();
            pipe.source().close();
        } catch (final IOException ignored) {
            // Best effort at shutdown.
        }
    }

    /** Consumer: about to block; check the rings once more after this call. */
    public void prepareToSleep() {
        sleeping = 1;
    }

    /** Consumer: back from the selector (or decided not to block). */
    public void awake() {
        sleeping = 0;
    }

    /** Producer: wake the consumer if it sleeps or is about to. */
    public void signal() {
        if (sleeping == 1 && SLEEPING.compareAndSet(this, 1, 0)) {
            wakePipe();
            // Several producers may each win a wakeup: an atomic add, paid only beside a wakeup system call.
            WAKEUPS.getAndAdd(this, 1L);
        }
    }

    /**
     * @return {@code true} while the consumer sleeps or is about to (a volatile read); an admission gate reads it
     *     when the consumer's heartbeat is old, to tell a sleeping thread from a stalled one.
     */
    public boolean isSleeping() {
        return sleeping == 1;
    }

    /**
     * A byte down the pipe instead of {@link Selector#wakeup()}: the JDK's wakeup writes its eventfd while
     * holding a lock the woken selector takes next, so on a shared core the woken consumer preempts the
     * producer inside that lock, blocks on it (a futex wait and wake) and switches back and forth twice more.
     */
    private void wakePipe() {
        synchronized (wakeByte) {
            wakeByte.clear();
            try {
                pipe.sink().write(wakeByte);
            } catch (final IOException ex) {
                selector.wakeup();
            }
        }
    }

    /** @return wakeups issued (acquire load). */
    public long wakeups() {
        return (long) WAKEUPS.getAcquire(this);
    }
}
