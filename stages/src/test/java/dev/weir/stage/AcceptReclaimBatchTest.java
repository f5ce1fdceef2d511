package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.arena.Arena;
import dev.weir.arena.BlockPool;
import dev.weir.conn.ConnectionSlot;
import dev.weir.ring.SlotPool;
import dev.weir.ring.StageRing;
import dev.weir.ring.WakeSignal;

/**
 * The size of the accept stage's call for slots, with the stage driven turn by turn on this thread: the first call
 * of a wait closes one idle connection, however the last free slot was taken; only a connection still waiting
 * right after the seats a call freed makes the next call twice as large.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AcceptReclaimBatchTest {

    private static final int SLOTS = 2;
    private static final int BLOCK_BYTES = 4096;
    /** Far beyond any wait here: no shed round interferes. */
    private static final long LONG_WAIT_NS = Duration.ofMinutes(2).toNanos();
    /** A queue timeout a test lets pass. */
    private static final long SHORT_WAIT_NS = Duration.ofMillis(200).toNanos();

    private final List<Socket> clients = new ArrayList<>();
    private Arena arena;
    private Selector selector;
    private Selector parseSelector;
    private WakeSignal parseWake;
    private Wiring wiring;
    private ServerSocketChannel server;
    private SlotPool<ConnectionSlot> slots;
    private SlotDemand demand;
    private AcceptStage accept;

    @BeforeEach
    void build() throws IOException {
        build(LONG_WAIT_NS);
    }

    private void build(final long queueTimeoutNs) throws IOException {
        arena = Arena.commit("accept-test", 4L * SLOTS * BLOCK_BYTES + 2L * BLOCK_BYTES, false);
        final BlockPool parseBlocks = arena.carveBlocks("parse", BLOCK_BYTES, SLOTS);
        final BlockPool upstreamBlocks = arena.carveBlocks("upstream", BLOCK_BYTES, SLOTS);
        selector = Selector.open();
        final WakeSignal wake = new WakeSignal(selector);
        final AcceptStage[] holder = new AcceptStage[1];
        slots = new SlotPool<>(SLOTS, 2 * SLOTS, ConnectionSlot::new, wake, index -> holder[0].onSlotReturned(index));
        // Seated connections stay in the parse ring, room for every one seated here: no parse thread runs.
        parseSelector = Selector.open();
        parseWake = new WakeSignal(parseSelector);
        final StageRing[] parseRings = {new StageRing("parse-0", 16, parseWake)};
        wiring = new Wiring(slots, parseRings, new StageRing[0], new StageRing[0], new LargeSendBuffers(0, 0, 0));
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.configureBlocking(false);
        demand = new SlotDemand();
        accept = new AcceptStage(selector, wake, server, wiring, parseBlocks, upstreamBlocks, 16384,
            arena.view(arena.reserve(64), 64), arena.view(arena.reserve(BLOCK_BYTES), BLOCK_BYTES), queueTimeoutNs,
            16, demand, new AdmissionGate[] {new AdmissionGate(0, parseWake)});
        holder[0] = accept;
    }

    @AfterEach
    void close() throws IOException {
        for (final Socket client : clients) {
            client.close();
        }
        for (int i = 0; i < SLOTS; i++) {
            final ConnectionSlot slot = slots.slot(i);
            if (slot.client != null) {
                slot.client.close();
            }
        }
        accept.onClose();
        parseWake.close();
        parseSelector.close();
        arena.close();
    }

    @Test
    void shouldCloseOneIdleConnectionAtTheFirstCallOfAWaitThoughAConnectionWaitedAsTheLastSlotWasTaken()
        throws Exception {
        // Three connections in the backlog before the first turn: two take the two slots, the last free one in the
        // same batch, and the third is ready at the very next select. No call was made yet: this wait's first.
        connect(SLOTS + 1);
        turnUntil(() -> accept.counters().acceptPauses() == 1, "accepting paused with a connection waiting");
        assertEquals(SLOTS, accept.counters().accepted(), "every slot seated");
        assertEquals(1, takeAll(), "the first call of a wait closes one idle connection");
    }

    @Test
    void shouldDoubleTheCallWhenAConnectionStillWaitsAfterTheSeatsTheLastCallFreed() throws Exception {
        firstCallOfAWait();
        // A fourth arrives while the third waits; the call closes one (released here), which seats the third and
        // takes the last free slot, and the fourth is ready at the next select: the call did not empty the backlog.
        connect(1);
        giveUp(0);
        turnUntil(() -> accept.counters().acceptPauses() == 2, "accepting paused again with a connection waiting");
        assertEquals(SLOTS + 1, accept.counters().accepted(), "the slot that came back seated a waiting connection");
        assertEquals(2, takeAll(), "a call that left connections waiting is followed by one twice as large");
        // Its two seat both waiting connections (the fourth and a fifth), and a turn finds no one waiting: the wait
        // is over, and the next one starts again at one.
        connect(1);
        giveUp(0);
        giveUp(1);
        turnUntil(() -> accept.counters().accepted() == SLOTS + 3, "both seated");
        assertEquals(0, accept.doWork(), "no connection waits");
        connect(1);
        turnUntil(() -> accept.counters().acceptPauses() == 3, "accepting paused for a new wait");
        assertEquals(1, takeAll(), "a new wait calls for one");
    }

    @Test
    void shouldDoubleTheCallWhenTheSeatsOfTheLastCallCameBackOverSeveralTurns() throws Exception {
        firstCallOfAWait();
        connect(1);
        giveUp(0);
        turnUntil(() -> accept.counters().acceptPauses() == 2, "accepting paused again with a connection waiting");
        assertEquals(2, takeAll(), "the call that left a connection waiting is followed by one twice as large");
        // Three wait now. The call's two slots come back one turn apart: the first ends the pause and seats one,
        // the second seats another in a later turn (taking the last free slot), and one still waits after both.
        connect(2);
        giveUp(0);
        turnUntil(() -> accept.counters().accepted() == SLOTS + 2, "the first slot back seated a waiting connection");
        giveUp(1);
        turnUntil(() -> accept.counters().accepted() == SLOTS + 3, "the second slot back, a turn later, too");
        turnUntil(() -> accept.counters().acceptPauses() == 3, "accepting paused with the last one waiting");
        assertEquals(4, takeAll(), "both seats were the last call's, and a connection still waits: twice as large");
    }

    @Test
    void shouldGiveANewWaitItsOwnQueueTimeoutAfterTheLastWaiterWasSeated() throws Exception {
        close();
        clients.clear();
        build(SHORT_WAIT_NS);
        firstCallOfAWait();
        // The slot that comes back seats the one waiting connection and takes the last free slot; the next turn
        // finds nobody waiting: that wait is over.
        giveUp(0);
        turnUntil(() -> accept.counters().accepted() == SLOTS + 1, "the waiting connection seated");
        accept.doWork();
        final long seated = System.nanoTime();
        while (System.nanoTime() - seated <= SHORT_WAIT_NS) {
            // The old wait's queue timeout passes while nobody waits.
            LockSupport.parkNanos(SHORT_WAIT_NS / 4);
        }
        connect(1);
        turnUntil(() -> accept.counters().acceptPauses() == 2, "accepting paused for a new wait");
        accept.doWork();
        assertEquals(0, accept.counters().rejected(), "a new wait is not answered 503 before its own timeout");
        assertEquals(1, takeAll(), "a new wait calls for a slot");
    }

    /** Every slot seated and one more connection waiting: the wait's first call, for one idle connection. */
    private void firstCallOfAWait() throws Exception {
        connect(SLOTS + 1);
        turnUntil(() -> accept.counters().acceptPauses() == 1, "accepting paused with a connection waiting");
        assertEquals(1, takeAll(), "the first call of a wait closes one idle connection");
    }

    /** Closes a seated connection and returns its slot, as a parse stage answering the call does. */
    private void giveUp(final int index) {
        wiring.closeAndRelease(slots.slot(index), false);
    }

    /** @return closes the current call allows, taken as the parse stages would. */
    private int takeAll() {
        int taken = 0;
        while (demand.tryTake()) {
            taken++;
        }
        assertFalse(demand.isWanted());
        return taken;
    }

    private void connect(final int count) throws IOException {
        for (int i = 0; i < count; i++) {
            final Socket client = new Socket();
            clients.add(client);
            client.connect(server.getLocalAddress(), 2_000);
        }
    }

    /** Runs turns of the accept stage on this thread, as its runner would, until the condition holds. */
    private void turnUntil(final BooleanSupplier condition, final String what) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            if (accept.doWork() == 0) {
                // As the runner: sleep in the selector until a connection or a returned slot wakes the stage.
                accept.idle();
            }
        }
    }
}
