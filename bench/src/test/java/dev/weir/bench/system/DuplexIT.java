package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.weir.bench.http.BodyPattern;
import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.conn.TimeoutKind;
import dev.weir.stage.Pipeline;

/**
 * Full duplex: the response is relayed while the request body still flows. The demo origin's {@code /echo}
 * only reads more of the upload once it has flushed what it echoed, so a proxy that finishes the upload before
 * it reads the response deadlocks. And the early answer: an origin that answers 413 or 401 without reading the
 * upload gets its answer to the client whole, the rest of the upload stays with the proxy, and the client
 * connection closes after a lingering read.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DuplexIT {

    private static final long MIB = 1024 * 1024;
    /** No byte in either direction for this long is a deadlock. */
    private static final int STALL_MS = 5_000;
    private static final int CHUNK_BYTES = 64 * 1024;
    private static final long LINGER_MS = 500;

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    private final ExecutorService writers = Executors.newCachedThreadPool();

    @AfterEach
    void stopWriters() {
        writers.shutdownNow();
    }

    /**
     * Sends {@code length} pattern bytes to {@code /echo} from one thread while this thread reads the echo, and
     * checks every byte.
     *
     * @return milliseconds the exchange took.
     */
    private long echo(final int port, final long length, final boolean chunked) throws Exception {
        final long start = System.nanoTime();
        try (RawHttp http = new RawHttp(port)) {
            http.socket().setSoTimeout(STALL_MS);
            final AtomicLong sent = new AtomicLong();
            final Future<?> writer = writers.submit(() -> {
                upload(http.output(), length, chunked, sent);
                return null;
            });
            final InputStream in = http.input();
            long received = 0;
            try {
                final String head = readHead(in);
                assertTrue(head.startsWith("HTTP/1.1 200 "), head);
                received = chunked ? readChunkedPattern(in) : readPattern(in, length);
            } catch (final SocketTimeoutException e) {
                throw new AssertionError("deadlock: nothing came back for " + STALL_MS + " ms with " + sent.get()
                    + " of " + length + " bytes sent", e);
            }
            writer.get(STALL_MS, TimeUnit.MILLISECONDS);
            assertEquals(length, received, "bytes echoed");
            assertEquals(length, sent.get(), "bytes sent");
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private static void upload(final OutputStream out, final long length, final boolean chunked,
        final AtomicLong sent) throws IOException {
        out.write(("POST /echo HTTP/1.1\r\nHost: weir\r\n" + (chunked ? "Transfer-Encoding: chunked"
            : "Content-Length: " + length) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        final byte[] buffer = new byte[CHUNK_BYTES];
        for (long offset = 0; offset < length; ) {
            final int n = (int) Math.min(buffer.length, length - offset);
            BodyPattern.copy(offset, buffer, 0, n);
            if (chunked) {
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            out.write(buffer, 0, n);
            if (chunked) {
                out.write(new byte[] {'\r', '\n'});
            }
            offset += n;
            sent.set(offset);
        }
        if (chunked) {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.flush();
    }

    static String readHead(final InputStream in) throws IOException {
        final StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            final int c = in.read();
            if (c < 0) {
                throw new IOException("closed inside the response head: " + head);
            }
            head.append((char) c);
        }
        return head.toString();
    }

    private static long readPattern(final InputStream in, final long length) throws IOException {
        final byte[] buffer = new byte[CHUNK_BYTES];
        long offset = 0;
        while (offset < length) {
            final int n = in.read(buffer, 0, (int) Math.min(buffer.length, length - offset));
            if (n < 0) {
                throw new IOException("closed after " + offset + " of " + length + " echoed bytes");
            }
            final long wrong = BodyPattern.mismatch(buffer, 0, n, offset);
            assertEquals(-1, wrong, "first wrong echoed byte");
            offset += n;
        }
        return offset;
    }

    private static long readChunkedPattern(final InputStream in) throws IOException {
        long offset = 0;
        while (true) {
            final String line = readLine(in);
            final int size = Integer.parseInt(line.split(";")[0].trim(), 16);
            if (size == 0) {
                assertEquals("", readLine(in), "no trailers");
                return offset;
            }
            offset += readPattern(in, size, offset);
            assertEquals("", readLine(in), "CRLF after a chunk");
        }
    }

    private static long readPattern(final InputStream in, final int size, final long at) throws IOException {
        final byte[] chunk = in.readNBytes(size);
        if (chunk.length != size) {
            throw new IOException("closed inside a chunk at " + at);
        }
        assertEquals(-1, BodyPattern.mismatch(chunk, 0, size, at), "first wrong echoed byte");
        return size;
    }

    private static String readLine(final InputStream in) throws IOException {
        final StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("closed inside a chunk line");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Test
    void shouldEchoEightMibWhileSendingItDirectlyFromTheDemoOrigin() throws Exception {
        // The precondition: the client and the origin really are duplex without a proxy in between.
        final long ms = echo(weir.origin().port(), 8 * MIB, false);
        System.out.printf("weir-it duplex: 8 MiB echoed directly by the demo origin in %d ms%n", ms);
    }

    @ParameterizedTest(name = "{0} MiB, chunked={1}")
    @CsvSource({"8, false", "8, true", "64, false"})
    void shouldEchoTheUploadWhileItIsStillBeingSent(final int mib, final boolean chunked) throws Exception {
        final long ms = echo(weir.port(), mib * MIB, chunked);
        System.out.printf("weir-it duplex: %d MiB echoed through weir (chunked=%b) in %d ms%n", mib, chunked, ms);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldEcho256MibWhileItIsStillBeingSent() throws Exception {
        final long ms = echo(weir.port(), 256 * MIB, false);
        System.out.printf("weir-it duplex: 256 MiB echoed through weir in %d ms%n", ms);
    }

    /** What the client saw of an upload answered early. */
    private static final class EarlyAnswer {
        RawHttp.Response response;
        long endedAfterMs;
        long writerStoppedAfterMs;
        RawHttp.End end;
        long sent;
    }

    /**
     * Starts a 1 GiB upload, sent by a second thread for as long as the proxy takes it, and reads the answer and
     * then the end of the connection on this thread.
     */
    private EarlyAnswer uploadAnsweredEarly(final int port) throws Exception {
        final EarlyAnswer answer = new EarlyAnswer();
        try (RawHttp http = new RawHttp(port)) {
            final AtomicLong sent = new AtomicLong();
            final AtomicLong writerStoppedNs = new AtomicLong();
            final Future<?> writer = writers.submit(() -> {
                try {
                    final OutputStream out = http.output();
                    out.write(("POST /upload HTTP/1.1\r\nHost: weir\r\nContent-Length: " + 1024 * MIB + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                    final byte[] buffer = new byte[CHUNK_BYTES];
                    while (sent.get() < 1024 * MIB) {
                        out.write(buffer);
                        sent.addAndGet(buffer.length);
                    }
                } catch (final IOException e) {
                    // The proxy closed the connection: the upload ends here.
                }
                writerStoppedNs.set(System.nanoTime());
                return null;
            });
            answer.response = http.read(false);
            final long answered = System.nanoTime();
            http.socket().setSoTimeout((int) (LINGER_MS + 4_000));
            answer.end = http.readToEnd();
            answer.endedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - answered);
            // The client keeps uploading through the linger; the proxy's close after it ends the upload.
            writer.get(LINGER_MS + 4_000, TimeUnit.MILLISECONDS);
            answer.writerStoppedAfterMs = TimeUnit.NANOSECONDS.toMillis(writerStoppedNs.get() - answered);
            answer.sent = sent.get();
        }
        return answer;
    }

    @ParameterizedTest(name = "{0}, origin closes: {1}")
    @CsvSource({"413, true", "413, false", "401, true", "401, false"})
    void shouldRelayAnEarlyAnswerWholeAndCloseAfterALingeringRead(final int status, final boolean close)
        throws Exception {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.early(status, close)));
        final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", origin.port())
            .lingerTimeoutMs(LINGER_MS));
        final EarlyAnswer answer = uploadAnsweredEarly(pipeline.listenAddress().getPort());
        assertEquals(status, answer.response.status, answer.response.head);
        assertEquals("early " + status + "\n", answer.response.text(), "the whole answer, not a reset");
        assertEquals(RawHttp.End.EOF, answer.end.kind, "a clean end of stream after the answer: " + answer.end);
        assertEquals(0, answer.end.bytes.length, "nothing after the answer: " + answer.end);
        assertTrue(answer.endedAfterMs < LINGER_MS, "the end of stream comes at once: " + answer.endedAfterMs + " ms");
        assertTrue(answer.writerStoppedAfterMs >= LINGER_MS - 50 && answer.writerStoppedAfterMs <= LINGER_MS + 2_000,
            "upload taken and dropped for the linger, then closed: " + answer.writerStoppedAfterMs + " ms after the"
            + " answer, linger " + LINGER_MS + " ms");
        System.out.printf("weir-it duplex: early %d (origin closes: %b): closed %d ms after the answer, %d MiB sent%n",
            status, close, answer.writerStoppedAfterMs, answer.sent / MIB);
        assertEquals(1, WeirExtension.expirations(pipeline, TimeoutKind.LINGER), "lingering reads cut short");
    }

    @Test
    void shouldNotForwardTheRestOfAnUploadAnsweredEarly() throws Exception {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.earlyThenDrain(413)));
        final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", origin.port())
            .lingerTimeoutMs(LINGER_MS));
        final EarlyAnswer answer = uploadAnsweredEarly(pipeline.listenAddress().getPort());
        assertEquals(413, answer.response.status, answer.response.head);
        assertEquals("early 413\n", answer.response.text());
        // The proxy must close its origin connection: the upload was cut, so it cannot carry another request.
        ScriptedOrigin.await("the origin connection is closed", () -> origin.openConnections() == 0, 5_000);
        final long forwarded = origin.bodyBytes("POST", "/upload");
        System.out.printf("weir-it duplex: early 413: %d KiB of %d MiB sent reached the origin%n", forwarded / 1024,
            answer.sent / MIB);
        // What was in flight when the answer came (the proxy's blocks and socket buffers) may arrive; no more.
        assertTrue(forwarded <= 4 * MIB, forwarded + " bytes forwarded after the answer");
        assertTrue(answer.sent > forwarded + MIB, "the client sent well beyond what was forwarded: "
            + answer.sent + " sent, " + forwarded + " forwarded");
    }
}
