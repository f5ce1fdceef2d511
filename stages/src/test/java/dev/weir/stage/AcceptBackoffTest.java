package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.config.JvmFlags;
import dev.weir.support.AcceptProbe;

/**
 * An {@code accept} that fails for want of descriptors (EMFILE) leaves the connection queued and the listening
 * socket ready: the accept thread must back off rather than spin on it, and accept again once descriptors are
 * free. Run in a child JVM that uses up its own descriptors.
 */
class AcceptBackoffTest {

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldNotSpinTheAcceptThreadWhileOutOfDescriptors() throws Exception {
        final List<String> command = new ArrayList<>(List.of("prlimit", "--nofile=1024:1024",
            Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(JvmFlags.chronicle());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), AcceptProbe.class.getName()));
        final Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final List<Socket> clients = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
            StandardCharsets.UTF_8)); OutputStream in = child.getOutputStream()) {
            final String portLine = out.readLine();
            assertNotNull(portLine, "the probe started");
            final int port = Integer.parseInt(portLine.substring("port ".length()));
            for (int i = 0; i < 5 * AcceptProbe.FREE_DESCRIPTORS; i++) {
                final Socket client = new Socket();
                clients.add(client);
                client.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            }
            in.write('\n');
            in.flush();
            final String report = out.readLine();
            assertNotNull(report, "the probe reported");
            final String[] words = report.split(" ");
            final long cpuMs = Long.parseLong(words[1]);
            final long acceptedWhileOut = Long.parseLong(words[3]);
            final long acceptedAfter = Long.parseLong(words[5]);
            System.out.println("accept backoff: " + report);
            assertTrue(acceptedWhileOut < clients.size(), "descriptors ran out before every client was accepted: "
                + report);
            assertTrue(cpuMs < AcceptProbe.MEASURE_MS / 4, "the accept thread spun while out of descriptors: "
                + report);
            assertTrue(acceptedAfter > acceptedWhileOut, "accepting resumes once descriptors are free: " + report);
            assertTrue(child.waitFor(20, TimeUnit.SECONDS), "the probe ends");
            assertEquals(0, child.exitValue());
        } finally {
            for (final Socket client : clients) {
                client.close();
            }
            child.destroyForcibly();
        }
    }
}
