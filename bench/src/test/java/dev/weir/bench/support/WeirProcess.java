package dev.weir.bench.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bin/weir} as a real child process, for what only a real process shows: its resident set against its
 * plan, its time to "ready". Runs on the test's own classpath ({@code WEIR_CLASSPATH}), so it needs no build
 * of its own; the working directory is the repository root, so {@code conf/weir.yaml} is the configuration.
 * <p>
 * Because {@code bin/weir} {@code exec}s the serving JVM, {@link #pid()} is the proxy's pid once it is ready.
 * <p>
 * <b>Note:</b> {@link #start} returns once the {@code weir ready:} line is printed; {@link #close()} sends
 * SIGTERM and waits, then kills. Output (stdout and stderr) is kept for failure messages.
 */
public final class WeirProcess implements AutoCloseable {

    /** The prefix of the line Weir prints once it serves. */
    public static final String READY_PREFIX = "weir ready: listening on ";

    private static final Pattern READY_PORT = Pattern.compile("^weir ready: listening on [^,]*:(\\d+),");
    private static final Pattern ADMIN_PORT = Pattern.compile("^weir admin: listening on \\S*:(\\d+) ");

    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final CountDownLatch readyOrExit = new CountDownLatch(1);
    private final CountDownLatch outputRead = new CountDownLatch(1);
    private final long startNanos;
    private volatile long readyNanos;
    private volatile int port = -1;
    private volatile int adminPort = -1;

    private WeirProcess(final Process process, final long startNanos) {
        this.process = process;
        this.startNanos = startNanos;
        final Thread reader = new Thread(this::readOutput, "weir-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * @return the repository root: the first directory from the working directory up that holds
     *     {@code bin/weir}.
     */
    public static Path root() {
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("bin/weir"))) {
                return dir;
            }
        }
        throw new IllegalStateException("bin/weir not found above " + Paths.get("").toAbsolutePath());
    }

    /**
     * Starts {@code bin/weir ARGS} and waits for its ready line.
     *
     * @param deadline how long to wait for "ready".
     * @param args     the command line after {@code bin/weir}.
     * @return the ready process.
     * @throws IOException when it cannot be started.
     * @throws InterruptedException when interrupted.
     * @throws AssertionError with the output when it exits or the deadline passes before "ready".
     */
    public static WeirProcess start(final Duration deadline, final String... args)
        throws IOException, InterruptedException {
        return startWithJavaOpts(deadline, null, args);
    }

    /**
     * Starts {@code bin/weir ARGS} with extra JVM options and waits for its ready line.
     *
     * @param deadline how long to wait for "ready".
     * @param javaOpts {@code WEIR_JAVA_OPTS} for the proxy's JVM, or {@code null} for none.
     * @param args     the command line after {@code bin/weir}.
     * @return the ready process.
     * @throws IOException when it cannot be started.
     * @throws InterruptedException when interrupted.
     * @throws AssertionError with the output when it exits or the deadline passes before "ready".
     */
    public static WeirProcess startWithJavaOpts(final Duration deadline, final String javaOpts, final String... args)
        throws IOException, InterruptedException {
        return startIn(deadline, null, javaOpts, args);
    }

    /**
     * Starts {@code bin/weir ARGS} inside a cgroup, from before its first allocation, and waits for its ready
     * line.
     *
     * @param deadline  how long to wait for "ready".
     * @param procsFile the group's {@code cgroup.procs}, or {@code null} to stay in the test's group.
     * @param javaOpts  {@code WEIR_JAVA_OPTS} for the proxy's JVM, or {@code null} for none.
     * @param args      the command line after {@code bin/weir}.
     * @return the ready process.
     * @throws IOException when it cannot be started.
     * @throws InterruptedException when interrupted.
     * @throws AssertionError with the output when it exits or the deadline passes before "ready".
     */
    public static WeirProcess startIn(final Duration deadline, final Path procsFile, final String javaOpts,
        final String... args) throws IOException, InterruptedException {
        final WeirProcess weir = spawn(procsFile, javaOpts, List.of(), args);
        if (!weir.readyOrExit.await(deadline.toMillis(), TimeUnit.MILLISECONDS) || weir.port < 0) {
            final boolean exited = weir.process.waitFor(5, TimeUnit.SECONDS);
            weir.close();
            throw new AssertionError("bin/weir " + String.join(" ", args) + (exited
                ? " exited with status " + weir.process.exitValue() + " before ready:\n"
                : " was not ready within " + deadline.toSeconds() + " s:\n") + weir.output());
        }
        return weir;
    }

    /**
     * Starts {@code bin/weir ARGS} without waiting for anything, for a run that is expected to fail; see
     * {@link #awaitExit(Duration)}.
     *
     * @param args the command line after {@code bin/weir}.
     * @return the started process.
     * @throws IOException when it cannot be started.
     */
    public static WeirProcess launch(final String... args) throws IOException {
        return spawn(null, null, List.of(), args);
    }

    /**
     * Starts {@code WRAPPER... bash bin/weir ARGS} without waiting for anything: a wrapper that execs its command
     * with other limits or capabilities (e.g. {@code prlimit --memlock=...}, {@code setpriv ...}).
     *
     * @param wrapper the wrapping command and its options.
     * @param args    the command line after {@code bin/weir}.
     * @return the started process.
     * @throws IOException when it cannot be started.
     */
    public static WeirProcess launchUnder(final List<String> wrapper, final String... args) throws IOException {
        return spawn(null, null, wrapper, args);
    }

    private static WeirProcess spawn(final Path procsFile, final String javaOpts, final List<String> wrapper,
        final String... args) throws IOException {
        final Path root = root();
        final List<String> command = new ArrayList<>(wrapper);
        command.add("bash");
        if (procsFile != null) {
            // The shell joins the group, then execs bin/weir, which execs the JVM: every page is charged there.
            command.add("-c");
            command.add("echo $$ > \"$0\" && exec bash \"$@\"");
            command.add(procsFile.toString());
        }
        command.add(root.resolve("bin/weir").toString());
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
        builder.environment().put("WEIR_CLASSPATH", System.getProperty("java.class.path"));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        if (javaOpts == null) {
            builder.environment().remove("WEIR_JAVA_OPTS");
        } else {
            builder.environment().put("WEIR_JAVA_OPTS", javaOpts);
        }
        return new WeirProcess(builder.start(), System.nanoTime());
    }

    private void readOutput() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                synchronized (lines) {
                    lines.add(line);
                }
                final Matcher admin = ADMIN_PORT.matcher(line);
                if (adminPort < 0 && admin.find()) {
                    adminPort = Integer.parseInt(admin.group(1));
                }
                final Matcher ready = READY_PORT.matcher(line);
                if (port < 0 && ready.find()) {
                    readyNanos = System.nanoTime();
                    port = Integer.parseInt(ready.group(1));
                    readyOrExit.countDown();
                }
            }
        } catch (final IOException e) {
            // The process is gone; what it printed is kept.
        } finally {
            readyOrExit.countDown();
            outputRead.countDown();
        }
    }

    /** @return the proxy's port, from its ready line. */
    public int port() {
        return port;
    }

    /** @return the admin listener's port, from its line before "ready"; -1 when it is off. */
    public int adminPort() {
        return adminPort;
    }

    /**
     * Send SIGTERM and return at once (the proxy drains; a second call cuts the drain short). Sent through the
     * process handle: {@code Process.destroy()} would also close the pipes, and the drain's lines would be lost.
     */
    public void terminate() {
        process.toHandle().destroy();
    }

    /**
     * Waits for the process to exit and then for the rest of its output to be read, so {@link #output()} holds
     * its last lines.
     *
     * @param deadline longest wait.
     * @return the exit code, or -1 when the process still runs after the deadline.
     * @throws InterruptedException when interrupted.
     */
    public int awaitExit(final Duration deadline) throws InterruptedException {
        if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            return -1;
        }
        outputRead.await(deadline.toMillis(), TimeUnit.MILLISECONDS);
        return process.exitValue();
    }

    /** @return the proxy JVM's pid. */
    public long pid() {
        return process.pid();
    }

    /** @return the time from starting {@code bin/weir} to its ready line. */
    public Duration timeToReady() {
        return Duration.ofNanos(readyNanos - startNanos);
    }

    /** @return the time since its ready line. */
    public Duration sinceReady() {
        return Duration.ofNanos(System.nanoTime() - readyNanos);
    }

    /** @return everything printed so far, one line each. */
    public String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /**
     * @param prefix a line prefix.
     * @return the printed lines starting with it.
     */
    public List<String> linesStartingWith(final String prefix) {
        final List<String> found = new ArrayList<>();
        synchronized (lines) {
            for (final String line : lines) {
                if (line.startsWith(prefix)) {
                    found.add(line);
                }
            }
        }
        return found;
    }

    /** @return whether the process still runs. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Sends SIGTERM, waits up to 10 s, then kills; keeps the interrupt flag when interrupted. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (final InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
