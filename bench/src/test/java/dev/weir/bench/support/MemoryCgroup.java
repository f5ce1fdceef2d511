package dev.weir.bench.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * A cgroup v1 memory controller group of its own, to read what the kernel charges a process: its pages
 * ({@code memory.max_usage_in_bytes}) and, separately, its TCP socket buffers
 * ({@code memory.kmem.tcp.max_usage_in_bytes}; v1 counts them only once a TCP limit is written, so
 * {@link #create} writes the largest).
 * <p>
 * A process is put in the group by writing its pid to {@link #procsFile()} before it allocates (pages charged
 * elsewhere stay there); {@code bin/weir} {@code exec}s, so the serving JVM inherits the group.
 * <p>
 * <b>Note:</b> needs root and a writable {@code /sys/fs/cgroup/memory}; {@link #close()} removes the group once
 * its processes have exited.
 */
public final class MemoryCgroup implements AutoCloseable {

    private static final Path V1_MEMORY = Paths.get("/sys/fs/cgroup/memory");
    private static final String NO_LIMIT = "9223372036854771712";

    private final Path dir;

    private MemoryCgroup(final Path dir) {
        this.dir = dir;
    }

    /** @return whether a v1 memory group can be created here (root, v1 hierarchy mounted writable). */
    public static boolean available() {
        return Files.isWritable(V1_MEMORY) && Files.exists(V1_MEMORY.resolve("memory.kmem.tcp.limit_in_bytes"));
    }

    /**
     * @param name the group's directory name.
     * @return the new group, with TCP accounting on.
     * @throws IOException when it cannot be created.
     */
    public static MemoryCgroup create(final String name) throws IOException {
        final Path dir = V1_MEMORY.resolve(name);
        if (!Files.isDirectory(dir)) {
            Files.createDirectory(dir);
        }
        Files.writeString(dir.resolve("memory.kmem.tcp.limit_in_bytes"), NO_LIMIT);
        return new MemoryCgroup(dir);
    }

    /** @return the file a pid is written to, to move that process into the group. */
    public Path procsFile() {
        return dir.resolve("cgroup.procs");
    }

    /** @return peak bytes of pages charged to the group (anonymous, page cache, kernel objects), not TCP. */
    public long maxUsageBytes() throws IOException {
        return read("memory.max_usage_in_bytes");
    }

    /** @return peak bytes of TCP socket buffers charged to the group. */
    public long tcpMaxUsageBytes() throws IOException {
        return read("memory.kmem.tcp.max_usage_in_bytes");
    }

    /** @return bytes of TCP socket buffers charged to the group now. */
    public long tcpUsageBytes() throws IOException {
        return read("memory.kmem.tcp.usage_in_bytes");
    }

    /** @return bytes of kernel objects (slab, socket structures) charged to the group now; 0 without the file. */
    public long kmemUsageBytes() throws IOException {
        return Files.exists(dir.resolve("memory.kmem.usage_in_bytes")) ? read("memory.kmem.usage_in_bytes") : 0;
    }

    /** @return a line of {@code memory.stat}, e.g. {@code rss} or {@code cache}, in bytes; -1 when absent. */
    public long stat(final String name) throws IOException {
        for (final String line : Files.readAllLines(dir.resolve("memory.stat"), StandardCharsets.US_ASCII)) {
            if (line.startsWith(name + " ")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        return -1;
    }

    private long read(final String file) throws IOException {
        return Long.parseLong(Files.readString(dir.resolve(file), StandardCharsets.US_ASCII).trim());
    }

    /** Removes the group; the kernel refuses while a process is still in it, which is then reported. */
    @Override
    public void close() throws IOException {
        Files.deleteIfExists(dir);
    }
}
