package dev.weir.support;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.weir.config.WeirConfig;
import dev.weir.stage.Pipeline;

/**
 * A child JVM for {@code AcceptBackoffTest}: starts a pipeline, uses up its own descriptors but a few, prints
 * {@code port N}, and on the parent's word measures the accept thread's CPU time while accepts fail with EMFILE,
 * then frees descriptors and reports how many connections were accepted afterwards.
 */
public final class AcceptProbe {

    /** Descriptors left free before the parent's clients connect. */
    public static final int FREE_DESCRIPTORS = 4;
    /** How long the accept thread's CPU time is measured while out of descriptors. */
    public static final long MEASURE_MS = 2_000;

    private AcceptProbe() {
    }

    /**
     * @param args none.
     * @throws Exception a failure, which ends the child with a stack trace.
     */
    public static void main(final String[] args) throws Exception {
        final WeirConfig config = WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", 9)
            .connections(64).build();
        final BufferedReader parent = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Pipeline pipeline = Pipeline.start(config)) {
            final List<FileInputStream> hogs = new ArrayList<>();
            try {
                while (true) {
                    hogs.add(new FileInputStream("/dev/null"));
                }
            } catch (final IOException outOfDescriptors) {
                for (int i = 0; i < FREE_DESCRIPTORS && !hogs.isEmpty(); i++) {
                    hogs.remove(hogs.size() - 1).close();
                }
            }
            System.out.println("port " + pipeline.listenAddress().getPort());
            System.out.flush();
            parent.readLine();
            final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            final long acceptThread = threadId("weir-accept");
            final long before = threads.getThreadCpuTime(acceptThread);
            Thread.sleep(MEASURE_MS);
            final long cpuMs = (threads.getThreadCpuTime(acceptThread) - before) / 1_000_000;
            final long acceptedWhileOut = pipeline.stageCounters().get(0).accepted();
            for (final FileInputStream hog : hogs) {
                hog.close();
            }
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (pipeline.stageCounters().get(0).accepted() + pipeline.rejectedConnections() <= acceptedWhileOut
                && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            System.out.println("cpu_ms " + cpuMs + " accepted_while_out " + acceptedWhileOut + " accepted_after "
                + (pipeline.stageCounters().get(0).accepted() + pipeline.rejectedConnections()));
            System.out.flush();
        }
    }

    private static long threadId(final String name) {
        for (final Thread thread : Thread.getAllStackTraces().keySet()) {
            if (name.equals(thread.getName())) {
                return thread.getId();
            }
        }
        throw new IllegalStateException("no thread " + name);
    }
}
