package dev.weir.stage;

/**
 * One step of the protocol, run by one thread as an agent: {@link #doWork()} in a loop, {@link #idle()} when
 * there was nothing to do.
 * <p>
 * <b>Note:</b> every method is called on the stage's own thread, except in tests, which may call
 * {@link #doWork()} by hand instead of starting a {@link StageRunner}.
 */
public interface Stage {

    /**
     * Do the work available now without blocking.
     *
     * @return a count of work done; 0 lets the runner idle.
     * @throws Exception a bug; the runner counts it and goes on.
     */
    int doWork() throws Exception;

    /**
     * Block until work may have arrived, or a short timeout.
     *
     * @throws Exception a bug; the runner counts it and goes on.
     */
    void idle() throws Exception;

    /** Unblock {@link #idle()} from another thread, e.g. to stop. */
    void wakeUp();

    /** Release the stage's resources; called on the stage thread after the last {@link #doWork()}. */
    void onClose();

    /** @return the stage's name, also its thread's name, e.g. {@code "weir-parse-0"}. */
    String roleName();
}
