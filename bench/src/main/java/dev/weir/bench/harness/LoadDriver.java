package dev.weir.bench.harness;

/**
 * Something that puts closed-loop keep-alive load on a port for a while and measures it.
 * <p>
 * <b>Note:</b> implementations are used from the harness thread only.
 */
interface LoadDriver {

    /** @return the driver's name for reports, e.g. {@code wrk}. */
    String name();

    /**
     * Measures one window.
     *
     * @param port          target port on 127.0.0.1.
     * @param path          request target.
     * @param bodyBytes     expected body length of each response.
     * @param connections   keep-alive connections.
     * @param seconds       window length in whole seconds, at least 1.
     * @return the measurement.
     * @throws Exception when the driver itself fails (not when requests fail: those are counted).
     */
    Sample run(int port, String path, long bodyBytes, int connections, int seconds) throws Exception;
}
