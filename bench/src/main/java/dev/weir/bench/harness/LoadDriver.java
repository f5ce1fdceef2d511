package dev.weir.bench.harness;

/**
 * Something that puts closed-loop keep-alive load on a port for a while and measures it.
 * <p>
 * <b>Note:</b> implementations are used from the harness thread only.
 */
interface LoadDriver {

    /** @return the driver's name for reports, e.g. {@code wrk}. */
    String name();

    /** @return the load generator's threads (at most one per connection is used). */
    int threads();

    /**
     * Measures one window.
     *
     * @param port           target port on 127.0.0.1.
     * @param scenario       what to request, and what every answer must carry.
     * @param connections    keep-alive connections.
     * @param seconds        window length in whole seconds, at least 1.
     * @param timeoutSeconds after how long a request counts as timed out.
     * @return the measurement.
     * @throws Exception when the driver itself fails (not when requests fail: those are counted).
     */
    Sample run(int port, Scenario scenario, int connections, int seconds, int timeoutSeconds) throws Exception;
}
