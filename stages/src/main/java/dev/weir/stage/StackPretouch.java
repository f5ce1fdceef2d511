package dev.weir.stage;

import java.io.IOException;
import java.io.RandomAccessFile;

/**
 * Makes the calling thread's stack resident to a depth by descending into it, so that a stage never takes a page
 * fault on its stack after "ready" (and {@code mlockall} finds the pages there to lock).
 * <p>
 * Java cannot size a frame, so the depth is measured, not assumed: the stack pointer is read from
 * {@code /proc/thread-self/syscall} (the thread is then inside its own {@code read}) before descending and every
 * {@value #FRAMES_PER_CHECK} frames on the way down, until the distance reaches the depth asked for. The file is
 * opened once and read again into one buffer, so the descent allocates nothing on the heap.
 * <p>
 * <b>Note:</b> startup only, on the thread whose stack is touched.
 */
final class StackPretouch {

    /** The calling thread's current system call, its arguments, stack pointer and program counter. */
    static final String SYSCALL_FILE = "/proc/thread-self/syscall";
    /** Returned when the stack pointer cannot be read; the stack is then touched by an estimate. */
    static final long UNMEASURED = -1;
    /** Frames between two readings of the stack pointer: a few KiB of stack, a reading costs microseconds. */
    private static final int FRAMES_PER_CHECK = 32;
    /** Bytes a frame of {@link #descendBlind} is assumed to take when the stack pointer cannot be read. */
    private static final long ASSUMED_FRAME_BYTES = 128;
    /** Field of the stack pointer in the syscall file: number, six arguments, then the stack pointer. */
    private static final int STACK_POINTER_FIELD = 7;
    /** Longer than the file's one line: nine fields of at most 18 characters. */
    private static final int LINE_BYTES = 256;

    private StackPretouch() {
    }

    /**
     * Touch the calling thread's stack to at least {@code depthBytes} below the current frame.
     *
     * @param depthBytes how deep; 0 or less does nothing.
     * @return the depth reached in bytes as measured, or {@link #UNMEASURED}.
     */
    static long touch(final long depthBytes) {
        if (depthBytes <= 0) {
            return 0;
        }
        try (RandomAccessFile file = new RandomAccessFile(SYSCALL_FILE, "r")) {
            final byte[] line = new byte[LINE_BYTES];
            final long top = stackPointer(file, line);
            if (top >= 0) {
                final long bottom = descend(file, line, top, depthBytes, 0);
                if (bottom >= 0) {
                    return top - bottom;
                }
            }
        } catch (final IOException e) {
            // No such file (not Linux, or too old): fall through to the estimate.
        }
        descendBlind((int) Math.min(Integer.MAX_VALUE, depthBytes / ASSUMED_FRAME_BYTES));
        return UNMEASURED;
    }

    /** @return the stack pointer at the deepest reading, or -1 when a reading failed on the way. */
    private static long descend(final RandomAccessFile file, final byte[] line, final long top,
        final long depthBytes, final int frame) {
        if (frame % FRAMES_PER_CHECK == 0) {
            final long sp = stackPointer(file, line);
            if (sp < 0 || top - sp >= depthBytes) {
                return sp;
            }
        }
        return descend(file, line, top, depthBytes, frame + 1);
    }

    private static int descendBlind(final int frames) {
        return frames <= 0 ? 0 : 1 + descendBlind(frames - 1);
    }

    /**
     * @param file the calling thread's syscall file, open.
     * @param line a buffer for its line.
     * @return the calling thread's stack pointer, or -1 when the kernel does not say (restricted, or the line is
     *     not {@code NR ARG1..ARG6 SP PC}).
     */
    static long stackPointer(final RandomAccessFile file, final byte[] line) {
        final int length;
        try {
            file.seek(0);
            length = file.read(line, 0, line.length);
        } catch (final IOException e) {
            return -1;
        }
        int field = 0;
        int i = 0;
        while (i < length && field < STACK_POINTER_FIELD) {
            if (line[i++] == ' ') {
                field++;
            }
        }
        if (field < STACK_POINTER_FIELD || i + 2 >= length || line[i] != '0' || line[i + 1] != 'x') {
            return -1;
        }
        long sp = 0;
        for (i += 2; i < length && line[i] != ' ' && line[i] != '\n'; i++) {
            final int digit = Character.digit(line[i], 16);
            if (digit < 0) {
                return -1;
            }
            sp = sp << 4 | digit;
        }
        return sp;
    }
}
