package dev.weir.http;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * A native store that fuzz targets copy their input into, with known bytes around it, so that a parser that
 * reads outside the bytes it was given shows up as an answer that depends on those bytes.
 * <pre>
 *   0          base                 base + length            base + capacity + SLACK
 *   | fill ... | input bytes ...    | fill ...                                    |
 * </pre>
 * <p>
 * <b>Note:</b> one per test class, allocated once (Jazzer reuses the test instance across inputs).
 */
final class FuzzStore {

    /** Bytes of fill kept after the block, for parsers that look one or two bytes ahead. */
    static final int SLACK = 64;
    /** A fill that no parser treats as part of a line ending. */
    static final byte QUIET_FILL = 'x';
    /** A fill made of line endings: a parser that reads past the input would find a head end in it. */
    static final byte LOUD_FILL = '\n';

    private final BytesStore<?, ?> store;
    private final long base;
    private final int capacity;
    private final byte[] quiet;
    private final byte[] loud;

    /**
     * @param base     absolute offset of the block.
     * @param capacity the block's size in bytes.
     */
    FuzzStore(final long base, final int capacity) {
        this.store = BytesStore.nativeStoreWithFixedCapacity(base + capacity + SLACK);
        this.base = base;
        this.capacity = capacity;
        final int total = (int) base + capacity + SLACK;
        this.quiet = new byte[total];
        this.loud = new byte[total];
        for (int i = 0; i < total; i++) {
            quiet[i] = QUIET_FILL;
            loud[i] = (i & 1) == 0 ? HttpBytes.CR : LOUD_FILL;
        }
    }

    BytesStore<?, ?> store() {
        return store;
    }

    long base() {
        return base;
    }

    int capacity() {
        return capacity;
    }

    /**
     * Copy the input into the block, cut to the block's size, with {@code fill} everywhere else.
     *
     * @param input the fuzzer's bytes.
     * @param fill  {@link #QUIET_FILL}, or {@link #LOUD_FILL} for CR LF pairs around them.
     * @return bytes of the input in the block.
     */
    int load(final byte[] input, final byte fill) {
        final int length = Math.min(input.length, capacity);
        final byte[] around = fill == LOUD_FILL ? loud : quiet;
        store.write(0, around, 0, around.length);
        store.write(base, input, 0, length);
        return length;
    }

    void release() {
        store.releaseLast();
    }
}
