package dev.weir.bench.support;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JDK {@link WebSocket.Listener} for tests: collects whole messages (text as {@code String}, binary as
 * {@code byte[]}), pongs and the close status, for the test thread to wait on.
 */
public final class WebSocketRecorder implements WebSocket.Listener {

    /** A pong's payload, as the client received it. */
    public static final class Pong {
        private final byte[] payload;

        Pong(final byte[] payload) {
            this.payload = payload;
        }

        /** @return the payload. */
        public byte[] payload() {
            return payload;
        }
    }

    private final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
    private final CompletableFuture<String> closed = new CompletableFuture<>();

    /**
     * @return the next whole message or pong, waiting up to 10 s.
     * @throws Exception when the client failed, or nothing came.
     */
    public Object next() throws Exception {
        final Object m = messages.poll(10, TimeUnit.SECONDS);
        if (m instanceof Throwable) {
            throw new AssertionError("client error", (Throwable) m);
        }
        assertTrue(m != null, "no message within 10 s");
        return m;
    }

    /** @return completes with "STATUS REASON" when the peer's close arrives. */
    public CompletableFuture<String> closed() {
        return closed;
    }

    @Override
    public void onOpen(final WebSocket ws) {
        ws.request(1);
    }

    @Override
    public CompletionStage<?> onText(final WebSocket ws, final CharSequence data, final boolean last) {
        text.append(data);
        if (last) {
            messages.add(text.toString());
            text.setLength(0);
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(final WebSocket ws, final ByteBuffer data, final boolean last) {
        final byte[] part = new byte[data.remaining()];
        data.get(part);
        binary.writeBytes(part);
        if (last) {
            messages.add(binary.toByteArray());
            binary.reset();
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(final WebSocket ws, final ByteBuffer message) {
        final byte[] payload = new byte[message.remaining()];
        message.get(payload);
        messages.add(new Pong(payload));
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(final WebSocket ws, final int statusCode, final String reason) {
        closed.complete(statusCode + " " + reason);
        return null;
    }

    @Override
    public void onError(final WebSocket ws, final Throwable error) {
        messages.add(error);
        closed.completeExceptionally(error);
    }
}
