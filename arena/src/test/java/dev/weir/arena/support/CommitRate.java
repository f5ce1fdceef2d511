package dev.weir.arena.support;

import java.util.Locale;

import dev.weir.arena.Arena;

/**
 * Measures how fast {@link Arena#commit(String, long, boolean)} commits memory, and prints GiB/s.
 * <p>
 * Run from the repository root after {@code mvn -pl arena verify} (see docs/_arena.md for the command). Not a
 * test: speed is measured here, never asserted.
 */
public final class CommitRate {

    private static final long DEFAULT_BYTES = 1L << 30;
    private static final int DEFAULT_RUNS = 5;

    private CommitRate() {
    }

    /**
     * @param args optional: bytes per arena (default 1 GiB), runs (default 5), {@code lock} to mlock too.
     */
    public static void main(final String[] args) {
        final long bytes = args.length > 0 ? Long.parseLong(args[0]) : DEFAULT_BYTES;
        final int runs = args.length > 1 ? Integer.parseInt(args[1]) : DEFAULT_RUNS;
        final boolean lock = args.length > 2 && "lock".equals(args[2]);
        for (int run = 1; run <= runs; run++) {
            final long before = ProcStatus.residentBytes();
            try (Arena arena = Arena.commit("rate", bytes, lock)) {
                final long grown = ProcStatus.residentBytes() - before;
                System.out.println(String.format(Locale.ROOT, "run %d: %d bytes%s in %.1f ms = %.2f GiB/s,"
                    + " resident set +%d MiB", run, bytes, lock ? " (locked)" : "", arena.commitNanos() / 1e6,
                    Arena.gibPerSecond(bytes, arena.commitNanos()), grown >> 20));
            }
        }
    }
}
