package dev.weir.stage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import dev.weir.conn.TimeoutKind;

/**
 * Counters of one stage thread, indexed by the constants below, and expirations by {@link TimeoutKind}.
 * <p>
 * <b>Note:</b> single writer, any reader, the convention of {@code PoolCounters}: the stage thread reads its
 * own values plainly and publishes each new one with a release store; readers load with acquire, so they never
 * see a torn {@code long}. Nothing here allocates.
 */
public final class StageCounters {

    /** Connections accepted (accept stage). */
    static final int ACCEPTED = 0;
    /**
     * Connections answered 503 because a slot or block pool was empty: those shed from the listen backlog after
     * {@code accept.queue-timeout} (accept stage).
     */
    static final int REJECTED = 1;
    /** Request heads parsed (parse stage) or requests forwarded (upstream stage). */
    static final int REQUESTS = 2;
    /** Canned answers decided on, by the stage that decided. */
    static final int ERROR_RESPONSES = 3;
    /** Responses completely written (write stage, upstream stage writing through, parse stage refusing). */
    static final int RESPONSES = 4;
    /** Failures of a socket or the protocol that closed a connection. */
    static final int ERRORS = 5;
    /** Exceptions that are not I/O failures: bugs. */
    static final int BUGS = 6;
    /** Requests sent again, after a reused connection or a connect failed (upstream stage). */
    static final int RETRIES = 7;
    /** Connections closed with a reset so a truncated response cannot pass for a whole one. */
    static final int RESETS = 8;
    /** Turns of the stage loop: passes through {@code doWork()}, busy or not. */
    static final int TURNS = 9;
    /** Times accepting paused because a slot or block pool was empty (accept stage). */
    static final int ACCEPT_PAUSES = 10;
    /**
     * Work answered 503 because the admission gate of the stage after this one was closed: new connections for a
     * parse thread (accept stage), new requests for an upstream thread (parse stage).
     */
    static final int OVERLOADED = 11;
    /** Halves handed to this stage through its inbox ring. */
    static final int HANDOFFS = 12;
    /** Request body parts the upstream stage read from the client itself, each saving two hand-offs. */
    static final int BODY_PARTS_READ_THROUGH = 13;
    /** Times the parse stage switched a client's read interest off while another stage held its request half. */
    static final int READ_PAUSES = 14;
    /** Idle keep-alive connections closed so their slots could seat connections waiting for one (parse stage). */
    static final int IDLE_RECLAIMED = 15;
    /** Requests answered 503 because a write thread's admission gate was closed (parse stage). */
    static final int OVERLOADED_WRITE = 16;
    /** Times an idle stage gave its core away to a working thread before sleeping ({@code idle-yields}). */
    static final int IDLE_YIELDS = 17;
    private static final int COUNT = 18;

    private static final VarHandle ELEMENT = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values = new long[COUNT];
    private final long[] expirations = new long[TimeoutKind.COUNT];

    /**
     * Add one; stage thread only.
     *
     * @param counter a counter constant.
     */
    void increment(final int counter) {
        ELEMENT.setRelease(values, counter, values[counter] + 1);
    }

    /**
     * Count an expired deadline; stage thread only.
     *
     * @param kind a {@link TimeoutKind} constant.
     */
    void expired(final int kind) {
        ELEMENT.setRelease(expirations, kind, expirations[kind] + 1);
    }

    private long get(final int counter) {
        return (long) ELEMENT.getAcquire(values, counter);
    }

    /**
     * @param kind a {@link TimeoutKind} constant.
     * @return deadlines of that kind that expired.
     */
    public long expirations(final int kind) {
        return (long) ELEMENT.getAcquire(expirations, kind);
    }

    /** @return connections accepted. */
    public long accepted() {
        return get(ACCEPTED);
    }

    /** @return connections refused with 503. */
    public long rejected() {
        return get(REJECTED);
    }

    /** @return requests parsed or forwarded. */
    public long requests() {
        return get(REQUESTS);
    }

    /** @return canned answers decided on. */
    public long errorResponses() {
        return get(ERROR_RESPONSES);
    }

    /** @return responses completely written. */
    public long responses() {
        return get(RESPONSES);
    }

    /** @return failures that closed a connection. */
    public long errors() {
        return get(ERRORS);
    }

    /** @return unexpected exceptions. */
    public long bugs() {
        return get(BUGS);
    }

    /** @return requests retried on a fresh origin connection. */
    public long retries() {
        return get(RETRIES);
    }

    /** @return connections reset. */
    public long resets() {
        return get(RESETS);
    }

    /** @return times accepting paused for want of a slot or block. */
    public long acceptPauses() {
        return get(ACCEPT_PAUSES);
    }

    /** @return new connections (accept stage) or requests (parse stage) answered 503 by the next stage's gate. */
    public long overloaded() {
        return get(OVERLOADED);
    }

    /** @return idle keep-alive connections closed to free their slots for waiting connections. */
    public long idleReclaimed() {
        return get(IDLE_RECLAIMED);
    }

    /** @return requests answered 503 by a write thread's gate (parse stage). */
    public long overloadedByWrite() {
        return get(OVERLOADED_WRITE);
    }

    /** @return turns of the stage loop. */
    public long turns() {
        return get(TURNS);
    }

    /** @return halves handed to this stage through its inbox ring. */
    public long handoffs() {
        return get(HANDOFFS);
    }

    /** @return request body parts read from the client by the upstream stage, not the parse stage. */
    public long bodyPartsReadThrough() {
        return get(BODY_PARTS_READ_THROUGH);
    }

    /** @return times a client's read interest was switched off while its request half was elsewhere. */
    public long readPauses() {
        return get(READ_PAUSES);
    }

    /** @return times the stage yielded its core while idle (acquire load). */
    public long idleYields() {
        return get(IDLE_YIELDS);
    }
}
