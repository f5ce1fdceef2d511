package dev.weir.stage;

import static dev.weir.stage.PipelineTest.awaitCondition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The write stage's socket calls on a real loopback connection: the queue length, the resize, and their cost. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TcpCallsTest {

    @Test
    void shouldResizeTheSendBufferAndReadTheQueueWithoutAllocating() throws Exception {
        assumeTrue(TcpCalls.available(), "SIOCOUTQ and the descriptor are reachable on Linux only");
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            try (SocketChannel client = SocketChannel.open(server.getLocalAddress());
                 SocketChannel peer = server.accept()) {
                final TcpCalls queue = new TcpCalls();
                final int descriptor = TcpCalls.descriptor(client);
                assertTrue(descriptor >= 0, "descriptor " + descriptor);

                // The same size as the JDK's setOption gives (what the kernel makes of it differs by version).
                for (final int size : new int[] {32 * 1024, 96 * 1024}) {
                    peer.setOption(StandardSocketOptions.SO_SNDBUF, size);
                    assertTrue(queue.resize(descriptor, size));
                    assertEquals(peer.getOption(StandardSocketOptions.SO_SNDBUF),
                        client.getOption(StandardSocketOptions.SO_SNDBUF), "SO_SNDBUF after asking " + size);
                }
                final int before = client.getOption(StandardSocketOptions.SO_SNDBUF);
                assertTrue(queue.resize(descriptor, 8 * 1024));
                assertTrue(client.getOption(StandardSocketOptions.SO_SNDBUF) < before, "shrunk");

                assertEquals(0, queue.queuedBytes(descriptor), "queue of a socket that sent nothing");
                // The peer reads nothing: once its receive buffer is full, what is written stays queued here.
                client.configureBlocking(false);
                final ByteBuffer bytes = ByteBuffer.allocate(65536);
                long written = 0;
                while (client.write(bytes.clear()) > 0) {
                    written += bytes.position();
                }
                final long queued = queue.queuedBytes(descriptor);
                assertTrue(queued > 0 && queued <= written, "queued " + queued + " of " + written);

                final com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                final long thread = Thread.currentThread().getId();
                // Past the optimizing-compile thresholds first: the interpreter allocates what compiled code does not.
                long sink = 0;
                for (int i = 0; i < 30_000; i++) {
                    sink += queue.queuedBytes(descriptor) + (queue.resize(descriptor, 96 * 1024) ? 1 : 0)
                        + (queue.open(descriptor) ? 1 : 0) + queue.untakenBytes(descriptor)
                        + (queue.quickAck(descriptor) ? 1 : 0);
                }
                final long allocatedBefore = threads.getThreadAllocatedBytes(thread);
                for (int i = 0; i < 10_000; i++) {
                    sink += queue.queuedBytes(descriptor) + (queue.resize(descriptor, 96 * 1024) ? 1 : 0)
                        + (queue.open(descriptor) ? 1 : 0) + queue.untakenBytes(descriptor)
                        + (queue.quickAck(descriptor) ? 1 : 0);
                }
                final long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
                assertTrue(sink > 0);
                assertEquals(0, allocated, "bytes allocated by 10,000 of each call");
                assertEquals(-1, queue.queuedBytes(-1), "queue of no descriptor");
                assertTrue(queue.quickAck(descriptor), "TCP_QUICKACK on a TCP socket");
                assertFalse(queue.quickAck(-1), "TCP_QUICKACK on no descriptor");
            }
        }
    }

    @Test
    void shouldTellAResetConnectionFromAStandingOneWhileBytesAreStillQueued() throws Exception {
        assumeTrue(TcpCalls.available(), "TCP_INFO and the descriptor are reachable on Linux only");
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            try (SocketChannel client = SocketChannel.open(server.getLocalAddress())) {
                final TcpCalls queue = new TcpCalls();
                final int descriptor = TcpCalls.descriptor(client);
                try (SocketChannel peer = server.accept()) {
                    assertTrue(queue.open(descriptor), "an established connection");
                    peer.shutdownOutput();
                    assertEquals(-1, client.read(ByteBuffer.allocate(1)), "the peer's end of stream");
                    assertTrue(queue.open(descriptor), "a connection its peer half-closed");
                    client.configureBlocking(false);
                    final ByteBuffer bytes = ByteBuffer.allocate(65536);
                    while (client.write(bytes.clear()) > 0) {
                        // Fill the queue: the peer reads nothing.
                    }
                    client.shutdownOutput();
                    assertTrue(queue.open(descriptor), "a connection half-closed both ways, bytes still queued");
                    final long queued = queue.queuedBytes(descriptor);
                    assertTrue(queued > 0 && queue.untakenBytes(descriptor) == queued, "bytes queued: " + queued);
                    peer.setOption(StandardSocketOptions.SO_LINGER, 0);
                }
                awaitCondition(() -> !queue.open(descriptor), "the reset seen");
                assertEquals(0, queue.untakenBytes(descriptor), "nothing left to take on a reset connection");
                assertFalse(queue.open(-1), "no descriptor");
            }
        }
    }
}
