package dev.weir.stage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link Stage} on its own named thread until closed.
 * <p>
 * The loop never dies of a stage's exception: each is counted and logged (the first few in full, then one
 * line in a thousand), and the loop goes on.
 * <p>
 * <b>Note:</b> {@link #start()} and {@link #close()} from a control thread; {@link #errors()} from any.
 */
public final class StageRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StageRunner.class);
    private static final VarHandle ERRORS;

    static {
        try {
            ERRORS = MethodHandles.lookup().findVarHandle(StageRunner.class, "errors", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private static final long FULL_TRACES = 10;

    private final Stage stage;
    private final Thread thread;
    private final Runnable onStart;
    /** Counts this thread as working except while its stage idles: an idle stage yields only to working ones. */
    private final WorkingThreads working;
    private volatile boolean running = true;
    // Written only by the stage thread (release store), read by others with an acquire load.
    private long errors;

    /** @param stage the stage to run. */
    public StageRunner(final Stage stage) {
        this(stage, null, new WorkingThreads());
    }

    /**
     * @param stage   the stage to run.
     * @param onStart run on the stage thread before its first turn (e.g. touch its stack, pin it); {@code null} for
     *                nothing. It must not throw.
     * @param working the pipeline's count of working stage threads, which this thread joins.
     */
    StageRunner(final Stage stage, final Runnable onStart, final WorkingThreads working) {
        this.stage = stage;
        this.onStart = onStart;
        this.working = working;
        this.thread = new Thread(this::run, stage.roleName());
    }

    /** Start the stage thread. */
    public void start() {
        thread.start();
    }

    private void run() {
        if (onStart != null) {
            onStart.run();
        }
        working.started();
        while (running) {
            try {
                if (stage.doWork() == 0 && running) {
                    working.stopped();
                    try {
                        stage.idle();
                    } finally {
                        working.started();
                    }
                }
            } catch (final Throwable t) {
                onError(t);
            }
        }
        working.stopped();
        try {
            stage.onClose();
        } catch (final Throwable t) {
            onError(t);
        }
    }

    private void onError(final Throwable t) {
        final long count = errors + 1;
        ERRORS.setRelease(this, count);
        if (count <= FULL_TRACES) {
            LOG.error("{}: error {}", stage.roleName(), count, t);
        } else if (count % 1000 == 0) {
            LOG.error("{}: {} errors so far, latest: {}", stage.roleName(), count, t.toString());
        }
    }

    /** @return errors counted since start. */
    public long errors() {
        return (long) ERRORS.getAcquire(this);
    }

    /** @return the stage thread's id, for per-thread metrics such as allocated bytes. */
    public long threadId() {
        return thread.getId();
    }

    /** @return the stage run. */
    public Stage stage() {
        return stage;
    }

    /** @return {@code true} while the stage thread runs. */
    public boolean isAlive() {
        return thread.isAlive();
    }

    /** Stop the loop and wait (up to 10 s) for the thread to end; {@link #isAlive()} tells whether it did. */
    @Override
    public void close() {
        running = false;
        stage.wakeUp();
        try {
            thread.join(10_000);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
