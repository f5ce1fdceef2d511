package dev.weir.bench.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A blocking raw-socket HTTP/1.1 client for tests: writes exact bytes, reads exact responses (Content-Length
 * or chunked), or everything until the peer closes. Reads time out after 5 s.
 */
public final class RawHttp implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /**
     * Connects to 127.0.0.1.
     *
     * @param port the port.
     * @throws IOException when the connection fails.
     */
    public RawHttp(final int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        socket.setSoTimeout(5_000);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /**
     * Sends bytes in one write.
     *
     * @param text ASCII request text.
     * @throws IOException on failure.
     */
    public void send(final String text) throws IOException {
        send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * Sends bytes in one write.
     *
     * @param bytes request bytes.
     * @throws IOException on failure.
     */
    public void send(final byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /**
     * Reads one response.
     *
     * @param headRequest whether it answers HEAD (no body whatever the headers say).
     * @return the response.
     * @throws IOException on failure or early close.
     */
    public Response read(final boolean headRequest) throws IOException {
        final String head = readHead();
        final String[] lines = head.split("\r\n");
        final Response r = new Response();
        r.head = head;
        r.status = Integer.parseInt(lines[0].substring(9, 12));
        for (int i = 1; i < lines.length; i++) {
            final int colon = lines[i].indexOf(':');
            r.headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                lines[i].substring(colon + 1).trim());
        }
        if (headRequest) {
            r.body = new byte[0];
        } else if ("chunked".equalsIgnoreCase(r.headers.get("transfer-encoding"))) {
            r.body = readChunked();
        } else {
            r.body = readExactly(Integer.parseInt(r.headers.getOrDefault("content-length", "0")));
        }
        return r;
    }

    /**
     * @return every byte until the peer closes.
     * @throws IOException on failure or timeout.
     */
    public byte[] readUntilClose() throws IOException {
        return in.readAllBytes();
    }

    private String readHead() throws IOException {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            final int c = in.read();
            if (c < 0) {
                throw new IOException("closed inside a response head after: " + b);
            }
            b.write(c);
            matched = c == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : c == '\r' ? 1 : 0;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private byte[] readChunked() throws IOException {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            final String line = readLine();
            final int size = Integer.parseInt(line.split(";")[0].trim(), 16);
            if (size == 0) {
                while (!readLine().isEmpty()) {
                    // Trailers are not used by the bench; skip them.
                }
                return body.toByteArray();
            }
            body.write(readExactly(size));
            readLine();
        }
    }

    private String readLine() throws IOException {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("closed inside a line");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * Reads exactly {@code n} bytes, whatever they are (head or body).
     *
     * @param n bytes to read.
     * @return the bytes.
     * @throws IOException on failure, or when the peer closes first.
     */
    public byte[] readExactly(final int n) throws IOException {
        final byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new IOException("closed after " + b.length + " of " + n + " body bytes");
        }
        return b;
    }

    /** @return the underlying socket, e.g. to read and write from two threads or to change its timeout. */
    public Socket socket() {
        return socket;
    }

    /** @return the socket's input stream. */
    public InputStream input() {
        return in;
    }

    /** @return the socket's output stream. */
    public OutputStream output() {
        return out;
    }

    /**
     * Reads until the connection ends and says how it ended: a clean end of stream, a reset, or no end within
     * the socket's read timeout.
     *
     * @return the bytes read and the ending.
     */
    public End readToEnd() {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();
        final byte[] buffer = new byte[64 * 1024];
        try {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                b.write(buffer, 0, n);
            }
            return new End(b.toByteArray(), End.EOF, null);
        } catch (final java.net.SocketTimeoutException e) {
            return new End(b.toByteArray(), End.TIMEOUT, e);
        } catch (final IOException e) {
            return new End(b.toByteArray(), End.RESET, e);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** How a connection ended, with every byte read before the end. */
    public static final class End {
        /** The peer closed cleanly: end of stream. */
        public static final int EOF = 0;
        /** The read failed: the peer reset the connection ({@code SocketException: Connection reset}). */
        public static final int RESET = 1;
        /** Nothing ended the connection within the read timeout. */
        public static final int TIMEOUT = 2;
        private static final String[] NAMES = {"clean EOF", "reset", "timeout"};

        /** The bytes read before the end. */
        public final byte[] bytes;
        /** {@link #EOF}, {@link #RESET} or {@link #TIMEOUT}. */
        public final int kind;
        /** The failure that ended the read, or null at a clean end of stream. */
        public final IOException failure;

        End(final byte[] bytes, final int kind, final IOException failure) {
            this.bytes = bytes;
            this.kind = kind;
            this.failure = failure;
        }

        /**
         * @param bytes the bytes read before the end.
         * @param kind {@link #EOF}, {@link #RESET} or {@link #TIMEOUT}.
         * @return an ending seen by a reader other than {@link #readToEnd()}.
         */
        public static End of(final byte[] bytes, final int kind) {
            return new End(bytes, kind, null);
        }

        /** @return the bytes as ISO-8859-1 text. */
        public String text() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            final String start = text().substring(0, Math.min(bytes.length, 200));
            return NAMES[kind] + " after " + bytes.length + " bytes" + (failure == null ? "" : " (" + failure + ")")
                + ", starting: " + start;
        }
    }

    /** One parsed response. */
    public static final class Response {
        /** The head as received. */
        public String head;
        /** The status code. */
        public int status;
        /** Headers, names in lower case. */
        public final Map<String, String> headers = new LinkedHashMap<>();
        /** The decoded body. */
        public byte[] body;

        /** @return the body as ISO-8859-1 text. */
        public String text() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }
}
