package dev.weir.stage;

/**
 * Counters of one stage thread.
 * <p>
 * <b>Note:</b> written only by the stage thread with plain stores; other threads (metrics, tests) read them
 * without synchronisation and may see slightly stale values, which is all a counter needs.
 */
public final class StageCounters {

    /** Connections accepted (accept stage). */
    long accepted;
    /** Connections refused with 503 because a slot or block pool was empty (accept stage). */
    long rejected;
    /** Request heads parsed (parse stage) or requests forwarded (upstream stage). */
    long requests;
    /** Canned error responses handed to the write stage, by the stage that decided on them. */
    long errorResponses;
    /** Responses completely written (write stage). */
    long responses;
    /** Failures of a socket or the protocol that closed a connection. */
    long errors;
    /** Exceptions that are not I/O failures: bugs. */
    long bugs;

    /** @return connections accepted. */
    public long accepted() {
        return accepted;
    }

    /** @return connections refused with 503. */
    public long rejected() {
        return rejected;
    }

    /** @return requests parsed or forwarded. */
    public long requests() {
        return requests;
    }

    /** @return canned error responses decided on. */
    public long errorResponses() {
        return errorResponses;
    }

    /** @return responses completely written. */
    public long responses() {
        return responses;
    }

    /** @return failures that closed a connection. */
    public long errors() {
        return errors;
    }

    /** @return unexpected exceptions. */
    public long bugs() {
        return bugs;
    }
}
