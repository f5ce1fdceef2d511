package dev.weir.warmup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

import dev.weir.http.HttpBytes;

/**
 * One client of the warm-up: sends its {@link #schedule(int)}'s exchanges in turn to the warm-up pipeline over
 * blocking sockets, checks each answer's status and body length, and opens a new connection every
 * {@value #EXCHANGES_PER_CONNECTION} exchanges, after a close and after an error, so that accepting, the first
 * request of a connection and a client's close are as common as in real traffic.
 * <p>
 * <b>Note:</b> one thread; runs before "ready" and allocates little (one socket per connection).
 */
final class WarmClient implements Runnable {

    /** Exchanges on a connection before the client closes it and opens another. */
    static final int EXCHANGES_PER_CONNECTION = 8;
    /** Longest a read may wait: the warm-up pipeline answers in well under a millisecond. */
    static final int READ_TIMEOUT_MS = 5_000;
    /**
     * Request fields of the fullest header set plus the ones an exchange adds: with {@code parse.max-headers}
     * below this, only the bare set is sent (the others would be answered 431).
     */
    static final int MOST_FIELDS = 16;
    private static final int BUFFER_BYTES = 64 * 1024;
    /**
     * Most bytes one read asks for: the JDK reads a heap array through a temporary direct buffer as large as the
     * read, kept per thread, and direct memory is capped by the plan ({@code jvm.direct-memory}).
     */
    private static final int READ_BYTES = 16 * 1024;
    /** Host fields as clients write them, one per exchange in turn: a name, an address with a port, IPv6. */
    private static final String[] HOSTS = {
        "Host: warm-up\r\n", "Host: 127.0.0.1:8080\r\n", "Host: www.example.com\r\n", "Host: [::1]:8080\r\n",
        "Host: api.example.com:443\r\n",
    };
    /** Any body length, for answers Weir makes itself. */
    private static final int ANY = -1;
    /** The largest body comes once in this many passes of the shapes. */
    private static final int LARGE_EVERY = 4;
    private static final Exchange CONTINUE = Exchange.interim();

    /**
     * Request headers as real clients send them, one set per exchange in turn, so that every branch of the head
     * parsers and the header rewriting runs: a browser's, an API client's, a bare one, and one that came through
     * other proxies with conditional and hop-by-hop fields.
     */
    private static final String BARE_HEADERS = "";
    private static final String[] HEADER_SETS = {
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
            + "Accept-Language: en-GB,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
            + "Cookie: session=7f3a9c; theme=dark\r\nReferer: http://warm-up/index.html\r\n"
            + "Upgrade-Insecure-Requests: 1\r\nCache-Control: no-cache\r\nPragma: no-cache\r\n",
        "User-Agent: okhttp/4.12.0\r\nAccept: application/json\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9\r\n"
            + "X-Request-Id: 5f0c2d1e-8b7a-4c3e-9f1a-2b6d4e8c0a11\r\nContent-Type: application/json\r\n",
        BARE_HEADERS,
        "X-Forwarded-For: 203.0.113.7, 10.0.0.2\r\nX-Forwarded-Proto: https\r\nX-Real-IP: 203.0.113.7\r\n"
            + "Forwarded: for=203.0.113.7;proto=https\r\nVia: 1.1 edge\r\nIf-None-Match: \"33a64df5\"\r\n"
            + "If-Modified-Since: Tue, 01 Dec 2026 08:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
            + "TE: trailers\r\nAccept: */*\r\n",
    };

    private final InetSocketAddress address;
    private final long exchanges;
    private final long deadlineNs;
    private final byte[] upload;
    /** The upload's length and the blank line, after its request's {@code Content-Length: }. */
    private final byte[] uploadHead;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private final Exchange[] schedule;
    private volatile Socket socket;
    private InputStream in;
    private OutputStream out;
    private int position;
    private int limit;
    private int onConnection;
    private long done;
    private long failed;
    private long connections;
    private String firstFailure;

    /**
     * @param address     the warm-up pipeline's listening address.
     * @param exchanges   exchanges to make.
     * @param deadlineNs  {@link System#nanoTime()} after which no exchange starts.
     * @param uploadBytes body length of the upload, within {@code parse.max-body}.
     * @param largeBytes  body length of the largest answer: more than a grown client send buffer holds; asked
     *                    once in {@value #LARGE_EVERY} passes, 256 KiB in the others.
     * @param fullHeads   {@code false}: only the bare header set, for a small {@code parse.max-headers}.
     */
    WarmClient(final InetSocketAddress address, final long exchanges, final long deadlineNs, final int uploadBytes,
        final int largeBytes, final boolean fullHeads) {
        this.address = address;
        this.schedule = schedule(largeBytes, fullHeads);
        this.exchanges = exchanges;
        this.deadlineNs = deadlineNs;
        this.upload = new byte[uploadBytes];
        this.uploadHead = HttpBytes.ascii(uploadBytes + "\r\n\r\n");
    }

    @Override
    public void run() {
        for (long i = 0; i < exchanges && System.nanoTime() - deadlineNs < 0; i++) {
            final Exchange exchange = schedule[(int) (i % schedule.length)];
            final long failedBefore = failed;
            try {
                exchange(exchange);
            } catch (final IOException | RuntimeException | OutOfMemoryError ex) {
                // OutOfMemoryError: direct memory for the JDK's temporary buffer; this exchange fails, not Weir.
                if (failed == failedBefore) {
                    fail(exchange.name + ": " + ex);
                }
                disconnect();
            }
            done++;
        }
        disconnect();
    }

    /** Cut the client off: close its socket, so a read or write it is blocked in ends at once. */
    void abort() {
        disconnect();
    }

    /** @return exchanges made, answered or not. */
    long done() {
        return done;
    }

    /** @return exchanges whose answer was not the one expected, or did not come. */
    long failed() {
        return failed;
    }

    /** @return connections opened. */
    long connections() {
        return connections;
    }

    /** @return what went wrong first, or {@code null}. */
    String firstFailure() {
        return firstFailure;
    }

    /**
     * The exchanges, in the order each client sends them, again and again: mostly small GETs, as traffic is, with
     * every shape of exchange among them (bodies of 0 B to {@code largeBytes}, chunked, uploads with and without
     * {@code Expect: 100-continue}, HEAD, an origin's 404, a close asked for, HTTP/1.0, and a malformed request
     * that Weir answers 400 itself), each with the next of the {@link #HEADER_SETS}.
     */
    private static Exchange[] schedule(final int largeBytes, final boolean fullHeads) {
        final Exchange[] shapes = {
            Exchange.get("/warm/bytes/128", 200, 128),
            Exchange.get("/warm/bytes/16384", 200, 16384),
            Exchange.get("/warm/bytes/128", 200, 128),
            Exchange.upload("/warm/bytes/128", false, 200, 128),
            Exchange.get("/warm/bytes/0", 200, 0),
            Exchange.head("/warm/bytes/128", 200),
            Exchange.get("/warm/bytes/128", 200, 128),
            Exchange.get("/warm/chunked/32768", 200, 32768),
            Exchange.get("/warm/bytes/128", 200, 128),
            Exchange.get("/warm/status/404", 404, 10),
            Exchange.get("/warm/bytes/1024", 200, 1024),
            Exchange.upload("/warm/bytes/0", true, 200, 0),
            Exchange.get("/warm/bytes/128", 200, 128),
            Exchange.closing("/warm/bytes/128", 200, 128),
            Exchange.get("/warm/bytes/16384", 200, 16384),
            Exchange.http10("/warm/bytes/128", 200, 128),
            Exchange.get("/warm/bytes/128", 200, 128),
            Exchange.malformed(),
            Exchange.get("/warm/bytes/" + largeBytes, 200, largeBytes),
        };
        // The largest body in one pass of the shapes in LARGE_EVERY: it costs the most, and 256 KiB runs the same
        // grow-and-drain paths but the wait on a full grown buffer.
        final int largest = shapes.length - 1;
        final Exchange medium = Exchange.get("/warm/bytes/" + WarmUp.MIN_LARGE_BYTES, 200, WarmUp.MIN_LARGE_BYTES);
        // Each shape with each header set and host: counts prime to each other, so every pairing comes round.
        final Exchange[] all = new Exchange[shapes.length * HEADER_SETS.length * HOSTS.length];
        for (int i = 0; i < all.length; i++) {
            final int shape = i % shapes.length;
            final Exchange exchange = shape == largest && i / shapes.length % LARGE_EVERY != 0 ? medium
                : shapes[shape];
            all[i] = exchange.withHeaders(HOSTS[i % HOSTS.length]
                + (fullHeads ? HEADER_SETS[i % HEADER_SETS.length] : BARE_HEADERS));
        }
        return all;
    }

    private void exchange(final Exchange exchange) throws IOException {
        if (socket == null || onConnection == EXCHANGES_PER_CONNECTION) {
            disconnect();
            connect();
        }
        onConnection++;
        out.write(exchange.request);
        if (exchange.uploads) {
            out.write(uploadHead);
            if (exchange.expectsContinue) {
                out.flush();
                if (readResponse(CONTINUE) != 100) {
                    fail(exchange.name + ": no 100 Continue");
                    disconnect();
                    return;
                }
            }
            out.write(upload);
        }
        out.flush();
        final long failedBefore = failed;
        final int status = readResponse(exchange);
        if (status != exchange.status && failed == failedBefore) {
            fail(exchange.name + ": status " + status + ", expected " + exchange.status);
            disconnect();
        }
    }

    /** @return the answer's status; its head and body are consumed, and the connection closed if it ends. */
    private int readResponse(final Exchange exchange) throws IOException {
        int headEnd = HeadBytes.headEnd(buffer, position, limit);
        while (headEnd < 0) {
            fill();
            headEnd = HeadBytes.headEnd(buffer, position, limit);
        }
        final int status = (int) HeadBytes.parseLong(buffer, position + 9, position + 12);
        final boolean chunked = HeadBytes.hasToken(buffer, position, headEnd, "transfer-encoding:", "chunked");
        final boolean close = HeadBytes.hasToken(buffer, position, headEnd, "connection:", "close")
            || !HeadBytes.startsWith(buffer, position, "HTTP/1.1");
        final long length = HeadBytes.longHeader(buffer, position, headEnd, "content-length:");
        position = headEnd;
        final long body;
        if (exchange.head || status < 200 || status == 204 || status == 304) {
            body = 0;
        } else if (chunked) {
            body = readChunked();
        } else if (length >= 0) {
            skip(length);
            body = length;
        } else {
            body = readToEnd();
        }
        if (exchange.bodyBytes != ANY && body != exchange.bodyBytes) {
            fail(exchange.name + ": " + body + " body bytes, expected " + exchange.bodyBytes);
        }
        if (close || exchange.closes) {
            disconnect();
        }
        return status;
    }

    private long readChunked() throws IOException {
        long total = 0;
        while (true) {
            final int lineEnd = line();
            final long size = hex(position, lineEnd);
            position = lineEnd + 2;
            if (size == 0) {
                // Trailer fields, if any, up to the empty line.
                for (int end = line(); end != position; end = line()) {
                    position = end + 2;
                }
                position += 2;
                return total;
            }
            skip(size);
            total += size;
            if (line() != position) {
                throw new IOException("no CRLF after a chunk's data");
            }
            position += 2;
        }
    }

    /** @return the hexadecimal number in the range, up to its first byte that is no hex digit. */
    private long hex(final int from, final int to) {
        long n = 0;
        for (int i = from; i < to; i++) {
            final int digit = HttpBytes.hexValue(buffer[i]);
            if (digit < 0) {
                break;
            }
            n = n * 16 + digit;
        }
        return n;
    }

    /** @return the index of the CR ending the line at {@link #position}, reading until it is there. */
    private int line() throws IOException {
        while (true) {
            for (int i = position; i + 1 < limit; i++) {
                if (buffer[i] == '\r' && buffer[i + 1] == '\n') {
                    return i;
                }
            }
            fill();
        }
    }

    private void skip(final long bytes) throws IOException {
        long left = bytes;
        while (left > 0) {
            if (position == limit) {
                fill();
            }
            final int n = (int) Math.min(left, limit - position);
            position += n;
            left -= n;
        }
    }

    private long readToEnd() throws IOException {
        long total = limit - position;
        position = limit;
        while (true) {
            final int n = in.read(buffer, 0, READ_BYTES);
            if (n < 0) {
                return total;
            }
            total += n;
        }
    }

    /** Read more: compact what is unread to the front first when the buffer is full. */
    private void fill() throws IOException {
        if (position == limit) {
            position = 0;
            limit = 0;
        } else if (limit == buffer.length) {
            if (position == 0) {
                throw new IOException("an answer's head or chunk line is longer than " + buffer.length + " bytes");
            }
            System.arraycopy(buffer, position, buffer, 0, limit - position);
            limit -= position;
            position = 0;
        }
        final int n = in.read(buffer, limit, Math.min(READ_BYTES, buffer.length - limit));
        if (n < 0) {
            throw new IOException("connection ended mid-answer");
        }
        limit += n;
    }

    private void connect() throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(READ_TIMEOUT_MS);
        socket.connect(address, READ_TIMEOUT_MS);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        position = 0;
        limit = 0;
        onConnection = 0;
        connections++;
    }

    private void disconnect() {
        final Socket open = socket;
        if (open != null) {
            try {
                open.close();
            } catch (final IOException ignored) {
                // Closing anyway.
            }
            socket = null;
        }
    }

    private void fail(final String what) {
        if (failed++ == 0) {
            firstFailure = what;
        }
    }

    /** One kind of exchange: its request's bytes and the answer expected. */
    private static final class Exchange {
        final String name;
        final String line;
        final String extra;
        final byte[] request;
        final boolean uploads;
        final boolean expectsContinue;
        final boolean head;
        final boolean closes;
        final int status;
        final int bodyBytes;

        private Exchange(final String name, final String line, final String extra, final String headers,
            final boolean uploads, final boolean expectsContinue, final boolean head, final boolean closes,
            final int status, final int bodyBytes) {
            this.name = name;
            this.line = line;
            this.extra = extra;
            this.uploads = uploads;
            this.expectsContinue = expectsContinue;
            this.head = head;
            this.closes = closes;
            this.status = status;
            this.bodyBytes = bodyBytes;
            // An upload's head ends with its Content-Length, whose value each client writes.
            this.request = HttpBytes.ascii(line + headers + extra
                + (expectsContinue ? "Expect: 100-continue\r\n" : "") + (uploads ? "Content-Length: " : "\r\n"));
        }

        private static Exchange of(final String name, final String line, final String extra, final boolean uploads,
            final boolean expectsContinue, final boolean head, final boolean closes, final int status,
            final int bodyBytes) {
            return new Exchange(name, line, extra, HOSTS[0], uploads, expectsContinue, head, closes, status,
                bodyBytes);
        }

        /** @return this exchange with these request headers, Host among them. */
        Exchange withHeaders(final String headers) {
            return new Exchange(name, line, extra, headers, uploads, expectsContinue, head, closes, status,
                bodyBytes);
        }

        static Exchange get(final String path, final int status, final int bodyBytes) {
            return of("GET " + path, "GET " + path + " HTTP/1.1\r\n", "", false, false, false, false, status,
                bodyBytes);
        }

        static Exchange head(final String path, final int status) {
            return of("HEAD " + path, "HEAD " + path + " HTTP/1.1\r\n", "", false, false, true, false, status, 0);
        }

        static Exchange closing(final String path, final int status, final int bodyBytes) {
            return of("GET " + path + " (close)", "GET " + path + " HTTP/1.1\r\n", "Connection: close\r\n", false,
                false, false, true, status, bodyBytes);
        }

        static Exchange http10(final String path, final int status, final int bodyBytes) {
            return of("GET " + path + " (HTTP/1.0)", "GET " + path + " HTTP/1.0\r\n", "", false, false, false, true,
                status, bodyBytes);
        }

        /** The body's length is the client's: {@code parse.max-body} may be small. */
        static Exchange upload(final String path, final boolean expectsContinue, final int status,
            final int bodyBytes) {
            return of("POST " + path + (expectsContinue ? " (100-continue)" : ""), "POST " + path + " HTTP/1.1\r\n",
                "", true, expectsContinue, false, false, status, bodyBytes);
        }

        /** A space inside a header's name: Weir answers 400 and closes. */
        static Exchange malformed() {
            return of("a malformed request", "GET /warm/bytes/128 HTTP/1.1\r\n", "Bad Name: x\r\n", false, false,
                false, true, 400, ANY);
        }

        /** The interim answer to {@code Expect: 100-continue}. */
        static Exchange interim() {
            return of("100 Continue", "", "", false, false, true, false, 100, 0);
        }
    }
}
