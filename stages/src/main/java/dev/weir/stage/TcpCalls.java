package dev.weir.stage;

import java.io.BufferedReader;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * The TCP calls the stages need and the JDK does not offer, or offers only with garbage:
 * <ul>
 * <li>how many bytes a socket's send queue holds ({@code ioctl(SIOCOUTQ)}: sent but not acknowledged, and not yet
 * sent): a grown send buffer is counted free again only once its client has taken the queue down to the planned
 * size, and a closing connection keeps its slot until its client has taken the whole queue;</li>
 * <li>whether the connection still stands ({@code TCP_INFO}'s state), which tells a reset from a drained queue;</li>
 * <li>{@code SO_SNDBUF}, set without the JDK's option lookup;</li>
 * <li>{@code TCP_QUICKACK}, asked on an origin socket while a large response flows.</li>
 * </ul>
 * The JDK exposes no channel's descriptor, so it comes from the JDK's own {@code sun.nio.ch.SelChImpl} (exported to
 * Weir by the launch flags Chronicle already needs) and the calls go through jnr-ffi, the binding
 * {@code MemoryLock} uses.
 * <p>
 * <b>Note:</b> one instance per thread: its answer cell is not shared. No call allocates once bound.
 */
final class TcpCalls {

    /** {@code SIOCOUTQ} (= {@code TIOCOUTQ}) on every Linux architecture with the generic ioctl numbers. */
    private static final long SIOCOUTQ = 0x5411;
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDBUF = 7;
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_INFO = 11;
    private static final int TCP_QUICKACK = 12;
    /** {@code tcpi_state} of a connection that was reset (or never stood). */
    private static final int TCP_CLOSE = 7;
    /** The answer cell's length word, for calls that take a {@code socklen_t *}. */
    private static final int LENGTH_OFFSET = Long.BYTES;
    private static final Path WMEM_MAX = Path.of("/proc/sys/net/core/wmem_max");
    private static final MethodHandle DESCRIPTOR = descriptorHandle();
    private static final Libc LIBC = bind();

    private final Pointer answer;

    TcpCalls() {
        answer = LIBC == null ? null : Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(LIBC), 2 * Long.BYTES);
    }

    /** @return {@code true} when both the descriptor and the call are reachable on this platform. */
    static boolean available() {
        return DESCRIPTOR != null && LIBC != null;
    }

    /**
     * @param channel a connected socket channel.
     * @return its file descriptor, or -1 when it cannot be known.
     */
    static int descriptor(final SocketChannel channel) {
        if (DESCRIPTOR == null) {
            return -1;
        }
        try {
            return (int) DESCRIPTOR.invokeExact(channel);
        } catch (final Throwable ex) {
            return -1;
        }
    }

    /**
     * @param descriptor a socket's file descriptor, from {@link #descriptor}.
     * @return bytes in its send queue, or -1 when the kernel does not say (closed, not a TCP socket).
     */
    long queuedBytes(final int descriptor) {
        if (answer == null || descriptor < 0 || LIBC.ioctl(descriptor, SIOCOUTQ, answer.address()) != 0) {
            return -1;
        }
        return answer.getInt(0);
    }

    /**
     * Whether the connection still stands. A reset purges the queue without ending its length, and makes the
     * socket readable and writable at once, so neither readiness nor {@link #queuedBytes} tells a reset from a
     * drained queue; the connection's TCP state does, and unlike {@code SO_ERROR} reading it takes nothing from
     * the stage that reads the same socket.
     *
     * @param descriptor a socket's file descriptor, from {@link #descriptor}.
     * @return {@code false} when the connection was reset (TCP state {@code CLOSE}) or its state cannot be read;
     *     {@code true} in any other state, half-closed either way included.
     */
    boolean open(final int descriptor) {
        if (answer == null || descriptor < 0) {
            return false;
        }
        // tcp_info's first byte is tcpi_state; the kernel copies only the length asked for.
        answer.putInt(LENGTH_OFFSET, 1);
        if (LIBC.getsockopt(descriptor, IPPROTO_TCP, TCP_INFO, answer.address(), answer.address() + LENGTH_OFFSET)
            != 0) {
            return false;
        }
        return (answer.getByte(0) & 0xff) != TCP_CLOSE;
    }

    /**
     * @param descriptor a socket's file descriptor, from {@link #descriptor}.
     * @return bytes the peer has still to take: the send queue of a standing connection, else 0.
     */
    long untakenBytes(final int descriptor) {
        return open(descriptor) ? Math.max(0, queuedBytes(descriptor)) : 0;
    }

    /**
     * Leave delayed-acknowledgement ("pingpong") mode until this side next sends. Linux enters it on a connection
     * that sends soon after it received, as a proxy does when it forwards the next request on a kept origin
     * connection, and in it the window update a read makes may wait for the delayed-ACK timer (40 ms). On loopback,
     * whose 64 KiB segment is about the whole window of the planned origin buffer, the origin then stops until the
     * timer fires: once that mode set in, every 1 MiB response took 43 ms instead of about 1 ms to reach a client
     * (docs/PERFORMANCE.md, "Origin window updates").
     *
     * @param descriptor a TCP socket's file descriptor, from {@link #descriptor}.
     * @return {@code true} when the kernel took it.
     */
    boolean quickAck(final int descriptor) {
        if (answer == null || descriptor < 0) {
            return false;
        }
        answer.putInt(0, 1);
        return LIBC.setsockopt(descriptor, IPPROTO_TCP, TCP_QUICKACK, answer.address(), Integer.BYTES) == 0;
    }

    /**
     * Sets {@code SO_SNDBUF} without the JDK's option lookup, which allocates a key per call on the stage thread.
     *
     * @param descriptor a socket's file descriptor, from {@link #descriptor}.
     * @param bytes      the buffer size asked for (Linux doubles it and caps it at {@code wmem_max}).
     * @return {@code true} when the kernel took it; {@code false}: unchanged, or the call is unreachable.
     */
    boolean resize(final int descriptor, final int bytes) {
        if (answer == null || descriptor < 0) {
            return false;
        }
        answer.putInt(0, bytes);
        return LIBC.setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, answer.address(), Integer.BYTES) == 0;
    }

    /** @return {@code net.core.wmem_max}, the most {@code SO_SNDBUF} Linux grants, or -1 when unknown. */
    static long hostSendBufferCap() {
        // Read by line: some kernels' procfs reports a short length to a whole-file read.
        try (BufferedReader reader = Files.newBufferedReader(WMEM_MAX)) {
            return Long.parseLong(reader.readLine().trim());
        } catch (final IOException | RuntimeException ex) {
            return -1;
        }
    }

    private static MethodHandle descriptorHandle() {
        try {
            // A full lookup: the launch flags export sun.nio.ch to Weir alone, which the public lookup ignores.
            final Class<?> selectable = Class.forName("sun.nio.ch.SelChImpl");
            return MethodHandles.lookup().findVirtual(selectable, "getFDVal", MethodType.methodType(int.class))
                .asType(MethodType.methodType(int.class, SocketChannel.class));
        } catch (final ReflectiveOperationException | RuntimeException | LinkageError ex) {
            return null;
        }
    }

    private static Libc bind() {
        try {
            return LibraryLoader.create(Libc.class).load("c");
        } catch (final RuntimeException | LinkageError ex) {
            return null;
        }
    }

    /**
     * libc's {@code ioctl}, {@code setsockopt} and {@code getsockopt}. Public because jnr-ffi generates the
     * implementation in its own class loader.
     */
    public interface Libc {
        /**
         * @param descriptor a file descriptor.
         * @param request    the request number.
         * @param argument   address of the answer cell.
         * @return 0 on success, -1 on failure.
         */
        int ioctl(int descriptor, long request, long argument);

        /**
         * @param descriptor a socket's file descriptor.
         * @param level      the option's level.
         * @param option     the option's name.
         * @param value      address of the value.
         * @param length     the value's length in bytes.
         * @return 0 on success, -1 on failure.
         */
        int setsockopt(int descriptor, int level, int option, long value, int length);

        /**
         * @param descriptor a socket's file descriptor.
         * @param level      the option's level.
         * @param option     the option's name.
         * @param value      address of the value.
         * @param length     address of the value's length in bytes, updated to the length written.
         * @return 0 on success, -1 on failure.
         */
        int getsockopt(int descriptor, int level, int option, long value, long length);
    }
}
