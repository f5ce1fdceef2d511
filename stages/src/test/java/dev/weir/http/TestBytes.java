package dev.weir.http;

import java.nio.charset.StandardCharsets;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * Moves test text in and out of native stores, one byte per char (ISO-8859-1, so obs-text survives).
 */
final class TestBytes {

    private TestBytes() {
    }

    /**
     * @param text one byte per char.
     * @return its bytes.
     */
    static byte[] bytes(final String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Write {@code text} at an absolute offset.
     *
     * @param store  the store.
     * @param offset absolute offset.
     * @param text   one byte per char.
     * @return number of bytes written.
     */
    static int write(final BytesStore<?, ?> store, final long offset, final String text) {
        final byte[] bytes = bytes(text);
        store.write(offset, bytes);
        return bytes.length;
    }

    /**
     * @param store  the store.
     * @param offset absolute offset.
     * @param length number of bytes.
     * @return the bytes as text, one char per byte.
     */
    static String read(final BytesStore<?, ?> store, final long offset, final int length) {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = store.readByte(offset + i);
        }
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
