package dev.weir.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.conn.ExchangeObserver;

/** The ring drops and counts what does not fit, the log thread writes every record it got, and reopens on request. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AccessLogTest {

    @TempDir
    Path dir;

    private final AccessLogFixture fixture = new AccessLogFixture(1024, true);
    private AccessLog log;

    @AfterEach
    void close() {
        if (log != null) {
            log.close();
        }
        fixture.close();
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(2);
        }
    }

    @Test
    void shouldDropAndCountRecordsThatDoNotFitTheRingAndWriteTheRest() throws Exception {
        final Path file = dir.resolve("access.log");
        log = fixture.log(16, "combined", file.toString());
        final ExchangeObserver observer = log.observer();
        fixture.receive("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        fixture.answered(200, 10, 0);
        // The log thread is not running: the ring fills and every record after that is dropped.
        for (int i = 0; i < 1_000; i++) {
            observer.onExchangeEnd(fixture.slot);
        }
        assertEquals(1_000, log.records());
        final long kept = log.records() - log.dropped();
        assertTrue(kept >= log.ringRecords() && kept < 1_000, "kept " + kept + " of a ring of " + log.ringRecords()
            + " records of at most " + log.maxRecordBytes() + " B in " + log.ringCapacityBytes() + " B");
        log.start();
        await(() -> log.written() == kept, "every record kept is written: " + log.written() + " of " + kept);
        assertEquals(kept, Files.readAllLines(file).size());
        assertEquals(1_000 - kept, log.dropped());
        assertEquals(0, log.lost());
    }

    @Test
    void shouldAllocateNothingToRecordOrDropAnExchange() throws Exception {
        log = fixture.log(16, "json", dir.resolve("a.log").toString());
        final ExchangeObserver observer = log.observer();
        fixture.receive("GET /x HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n");
        fixture.answered(200, 10, 0);
        for (int i = 0; i < 10_000; i++) {
            observer.onExchangeEnd(fixture.slot);
        }
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 10_000; i++) {
            observer.onExchangeEnd(fixture.slot);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(log.dropped() > 0, "the ring was full, so the measured calls dropped");
        assertTrue(allocated < 10_000, "bytes allocated by 10,000 records: " + allocated);

        // The claim, copy and commit path: once the log thread has emptied the ring, records fit again.
        log.start();
        final long kept = log.records() - log.dropped();
        await(() -> log.written() == kept, "the ring emptied: " + log.written() + " of " + kept);
        final long dropped = log.dropped();
        final long beforeClaims = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 8; i++) {
            observer.onExchangeEnd(fixture.slot);
        }
        final long claimed = threads.getCurrentThreadAllocatedBytes() - beforeClaims;
        assertEquals(dropped, log.dropped(), "an empty ring of 16 records takes 8");
        assertEquals(0, claimed, "bytes allocated by 8 records claimed and committed");
    }

    @Test
    void shouldWriteFurtherLinesToANewFileAfterReopen() throws Exception {
        final Path file = dir.resolve("access.log");
        final Path rotated = dir.resolve("access.log.1");
        log = fixture.log(64, "common", file.toString());
        final ExchangeObserver observer = log.observer();
        log.start();
        fixture.receive("GET /before HTTP/1.1\r\nHost: a\r\n\r\n");
        fixture.answered(200, 10, 0);
        for (int i = 0; i < 3; i++) {
            observer.onExchangeEnd(fixture.slot);
        }
        await(() -> log.written() == 3, "three lines written");
        Files.move(file, rotated);
        log.requestReopen();
        await(() -> log.reopens() == 1, "reopened");
        fixture.receive("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
        fixture.answered(200, 10, 0);
        for (int i = 0; i < 2; i++) {
            observer.onExchangeEnd(fixture.slot);
        }
        await(() -> log.written() == 5, "two more lines written");
        final List<String> old = Files.readAllLines(rotated);
        final List<String> fresh = Files.readAllLines(file);
        assertEquals(3, old.size(), old.toString());
        assertTrue(old.stream().allMatch(l -> l.contains("GET /before ")), old.toString());
        assertEquals(2, fresh.size(), fresh.toString());
        assertTrue(fresh.stream().allMatch(l -> l.contains("GET /after ")), fresh.toString());
    }

    @Test
    void shouldWriteWhatTheRingHoldsWhenClosed() throws IOException {
        final Path file = dir.resolve("access.log");
        log = fixture.log(64, "common", file.toString());
        final ExchangeObserver observer = log.observer();
        fixture.receive("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        fixture.answered(200, 10, 0);
        for (int i = 0; i < 20; i++) {
            observer.onExchangeEnd(fixture.slot);
        }
        log.start();
        log.close();
        assertEquals(20, Files.readAllLines(file).size());
        assertEquals(20, log.written());
        log = null;
    }
}
