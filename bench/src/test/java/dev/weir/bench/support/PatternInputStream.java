package dev.weir.bench.support;

import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import dev.weir.bench.http.BodyPattern;

/**
 * An upload body generated on the fly: {@code length} bytes of {@link BodyPattern}, never materialised, with
 * the SHA-256 of what was handed out computed as it goes (compare it with the origin's {@code /sha256} answer).
 * <p>
 * <b>Note:</b> not thread-safe; read it from one thread (the JDK HttpClient reads publishers from one).
 */
public final class PatternInputStream extends InputStream {

    private final long length;
    private final MessageDigest sha256;
    private long position;

    /** @param length bytes to produce. */
    public PatternInputStream(final long length) {
        this.length = length;
        this.sha256 = newSha256();
    }

    /** @return a fresh SHA-256 digest. */
    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * @param digest a finished digest.
     * @return its lower-case hex form, as the demo origin prints it.
     */
    public static String hex(final byte[] digest) {
        final StringBuilder text = new StringBuilder(digest.length * 2);
        for (final byte b : digest) {
            text.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return text.toString();
    }

    @Override
    public int read() {
        if (position >= length) {
            return -1;
        }
        final byte b = BodyPattern.byteAt(position++);
        sha256.update(b);
        return b & 0xff;
    }

    @Override
    public int read(final byte[] dst, final int offset, final int count) {
        if (position >= length) {
            return -1;
        }
        final int n = (int) Math.min(count, length - position);
        BodyPattern.copy(position, dst, offset, n);
        sha256.update(dst, offset, n);
        position += n;
        return n;
    }

    /** @return bytes handed out so far. */
    public long position() {
        return position;
    }

    /** @return the hex SHA-256 of every byte handed out; call once, after the last read. */
    public String sha256Hex() {
        return hex(sha256.digest());
    }
}
