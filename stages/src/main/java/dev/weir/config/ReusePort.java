package dev.weir.config;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;

/**
 * Whether this platform's listening sockets support {@code SO_REUSEPORT}, asked once, when
 * {@code accept.reuse-port} is first validated as {@code true}.
 * <p>
 * The JDK lists {@link StandardSocketOptions#SO_REUSEPORT} among a channel's supported options only where the
 * operating system has it (Linux 3.9+, the BSDs, macOS; not Windows), so an unopened, unbound channel answers
 * without touching the network.
 * <p>
 * <b>Note:</b> the answer is computed in the class initialiser, which the JVM runs once; thread-safe.
 */
final class ReusePort {

    /** The rule {@code accept.reuse-port: true} breaks where the platform lacks the option. */
    static final String UNSUPPORTED = "SO_REUSEPORT is not supported on this platform ("
        + System.getProperty("os.name") + "), so processes cannot share a port; set it to false";

    /** {@code true} when listening sockets here support {@code SO_REUSEPORT}. */
    static final boolean SUPPORTED = probe();

    private ReusePort() {
    }

    private static boolean probe() {
        try (ServerSocketChannel channel = ServerSocketChannel.open()) {
            return channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
        } catch (final IOException e) {
            return false;
        }
    }
}
