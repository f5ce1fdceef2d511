package dev.weir.bench.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One thing the harness measures: the origin directly, or a reverse proxy process in front of it.
 * <p>
 * A proxy that fails to start or to answer {@code GET /} with 200 in time is "unavailable" with a reason;
 * the run goes on without it.
 * <p>
 * <b>Note:</b> used from the harness thread only.
 */
class Target {

    private static final long READY_POLL_MS = 100;

    final String name;
    final String kind;
    final String sweepValue;
    int port;
    String unavailable;
    private final List<String> command;
    private final long readyTimeoutMs;
    private Path configTemplate;
    private Path config;
    private Path directory;
    private int instances = 1;
    private String readyMarker;
    private final List<Process> processes = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private long readyRssKib = -1;

    /**
     * @param name           label in reports, e.g. {@code nginx} or {@code weir[ring-size=4096]}.
     * @param kind           {@code direct}, {@code weir}, {@code nginx} or {@code haproxy}.
     * @param sweepValue     the swept value, or null.
     * @param command        command line; {@code {PORT}} is replaced by the listen port; empty for direct.
     * @param readyTimeoutMs how long the process may take to answer.
     */
    Target(final String name, final String kind, final String sweepValue, final List<String> command,
        final long readyTimeoutMs) {
        this.name = name;
        this.kind = kind;
        this.sweepValue = sweepValue;
        this.command = command;
        this.readyTimeoutMs = readyTimeoutMs;
    }

    /**
     * Sets a configuration file to write at start from a template, with {@code {PORT}} replaced.
     *
     * @param template the template.
     * @param file     the file the command line names.
     * @return this.
     */
    Target config(final Path template, final Path file) {
        this.configTemplate = template;
        this.config = file;
        return this;
    }

    /**
     * Sets the working directory of the process (by default the harness's own).
     *
     * @param dir the directory.
     * @return this.
     */
    Target directory(final Path dir) {
        this.directory = dir;
        return this;
    }

    /**
     * Runs the command several times on the same port (processes that share it with {@code SO_REUSEPORT}); the
     * target's CPU and memory are the sums over them.
     *
     * @param count  processes, at least 1.
     * @param marker a line every process prints once it serves (the port answering does not say which one does).
     * @return this.
     */
    Target instances(final int count, final String marker) {
        this.instances = count;
        this.readyMarker = marker;
        return this;
    }

    /** @return how many processes serve this target. */
    int instances() {
        return instances;
    }

    /** @return the working directory set with {@link #directory(Path)}, or null for the harness's own. */
    Path directory() {
        return directory;
    }

    /** @return whether this target is measured (direct, or a proxy that answered). */
    boolean available() {
        return unavailable == null;
    }

    /** @return the file the (first) process's stdout and stderr go to, or null before start and for direct. */
    Path log() {
        return logs.isEmpty() ? null : logs.get(0);
    }

    /** @return every process's log, in start order; empty before start and for direct. */
    List<Path> logs() {
        return logs;
    }

    /** @return the resident set (sum of VmRSS) once every process served, KiB, or -1. */
    long readyRssKib() {
        return readyRssKib;
    }

    /** @return the command line as configured, with {@code {PORT}} not yet replaced; empty for direct. */
    List<String> command() {
        return command;
    }

    /** @return the (first) proxy process's pid, or -1 for direct. */
    long pid() {
        return processes.isEmpty() ? -1 : processes.get(0).pid();
    }

    /** @return the pids of every process of this target; empty for direct. */
    List<Long> pids() {
        final List<Long> pids = new ArrayList<>();
        for (final Process p : processes) {
            pids.add(p.pid());
        }
        return pids;
    }

    /**
     * Starts the proxy and waits for it to answer, or marks it unavailable.
     *
     * @param originPort the origin's port (direct uses it as its own).
     * @param tmp        directory for the log file.
     */
    void start(final int originPort, final Path tmp) {
        if (command.isEmpty()) {
            port = originPort;
            return;
        }
        if (unavailable != null) {
            return;
        }
        try {
            port = freePort();
            final List<String> cmd = new ArrayList<>();
            for (final String c : command) {
                cmd.add(c.replace("{PORT}", Integer.toString(port)));
            }
            if (configTemplate != null) {
                Files.writeString(config, Files.readString(configTemplate).replace("{PORT}", Integer.toString(port)));
            }
            logs.clear();
            for (int i = 0; i < instances; i++) {
                final Path log = tmp.resolve(name.replaceAll("[^A-Za-z0-9.=-]", "_") + (i == 0 ? "" : "-" + i)
                    + ".log");
                logs.add(log);
                final Process process = new ProcessBuilder(cmd)
                    .directory(directory == null ? null : directory.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
                processes.add(process);
                final String failure = awaitReady(process, log);
                if (failure != null) {
                    unavailable = failure;
                    stop();
                    return;
                }
            }
            readyRssKib = ProcStats.rssKib(pids());
        } catch (final IOException e) {
            unavailable = "could not start: " + e.getMessage();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            unavailable = "interrupted";
        }
    }

    /** @return null once the process answers (and, with a marker, printed it), else why it is unavailable. */
    private String awaitReady(final Process process, final Path log) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(readyTimeoutMs);
        while (System.nanoTime() - deadline < 0) {
            if (!process.isAlive()) {
                return "exited with status " + process.exitValue() + ": " + tail(log);
            }
            if (answers(port) && (readyMarker == null
                || new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1).contains(readyMarker))) {
                return null;
            }
            process.waitFor(READY_POLL_MS, TimeUnit.MILLISECONDS);
        }
        return "did not answer GET / with 200 within " + readyTimeoutMs + " ms: " + tail(log);
    }

    /** Stops every process tree: SIGTERM, then SIGKILL after 5 s. */
    void stop() {
        for (final Process p : processes) {
            stop(p);
        }
        processes.clear();
    }

    private static void stop(final Process process) {
        final List<ProcessHandle> all = new ArrayList<>();
        process.descendants().forEach(all::add);
        process.destroy();
        all.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        all.forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * @param port a port on 127.0.0.1.
     * @return whether {@code GET /} there answers 200 within 2 s.
     */
    static boolean answers(final int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            s.setSoTimeout(2_000);
            final OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = s.getInputStream();
            final byte[] status = in.readNBytes(12);
            return new String(status, StandardCharsets.US_ASCII).matches("HTTP/1\\.[01] 200");
        } catch (final IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String tail(final Path file) {
        try {
            final List<String> lines = Files.readAllLines(file);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (final IOException e) {
            return "(no log)";
        }
    }
}
