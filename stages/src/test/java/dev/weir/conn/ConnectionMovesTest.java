package dev.weir.conn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

class ConnectionMovesTest {

    private static final Path ARCHITECTURE = Path.of("..", "docs", "ARCHITECTURE.md");

    @Test
    void shouldListEveryMoveOnceAndKeepEachWithinItsHalf() {
        final Set<String> seen = new TreeSet<>();
        for (final int[] move : ConnectionMoves.moves()) {
            assertTrue(seen.add(move[0] + ">" + move[1]), "listed twice: " + describe(move));
            assertTrue(ConnectionMoves.isLegal(move[0], move[1]), describe(move));
            assertEquals(ConnectionState.isRequestState(move[0]), ConnectionState.isRequestState(move[1]),
                "a move stays within its half: " + describe(move));
        }
        int legal = 0;
        for (int from = 0; from < ConnectionState.COUNT; from++) {
            for (int to = 0; to < ConnectionState.COUNT; to++) {
                legal += ConnectionMoves.isLegal(from, to) ? 1 : 0;
            }
        }
        assertEquals(seen.size(), legal, "the lookup holds exactly the listed moves");
    }

    @Test
    void shouldReachEveryStateAndLeaveEveryStateForTheStartAgain() {
        for (int state = 0; state < ConnectionState.COUNT; state++) {
            final int start = ConnectionState.isRequestState(state) ? ConnectionState.FREE : ConnectionState.IDLE;
            assertTrue(reachable(start, state), ConnectionState.name(state) + " is reachable");
            assertTrue(reachable(state, start) || state == start, ConnectionState.name(state) + " can end");
        }
    }

    @Test
    void shouldRefuseMovesNotInTheTable() {
        assertFalse(ConnectionMoves.isLegal(ConnectionState.FREE, ConnectionState.SENDING));
        assertFalse(ConnectionMoves.isLegal(ConnectionState.WRITING, ConnectionState.CANNED));
        assertFalse(ConnectionMoves.isLegal(ConnectionState.READING_BODY, ConnectionState.SENT));
        assertFalse(ConnectionMoves.isLegal(ConnectionState.RESPONSE_DONE, ConnectionState.RECEIVING));
    }

    @Test
    void shouldNameAnOwnerForEveryStateThatWaitsOnASocket() {
        assertEquals(ConnectionState.OWNER_PARSE, ConnectionState.owner(ConnectionState.READING_HEAD));
        assertEquals(ConnectionState.OWNER_PARSE, ConnectionState.owner(ConnectionState.READING_BODY));
        assertEquals(ConnectionState.OWNER_PARSE, ConnectionState.owner(ConnectionState.LINGERING));
        assertEquals(ConnectionState.OWNER_UPSTREAM, ConnectionState.owner(ConnectionState.SENDING));
        assertEquals(ConnectionState.OWNER_UPSTREAM, ConnectionState.owner(ConnectionState.RECEIVING));
        assertEquals(ConnectionState.OWNER_WRITE, ConnectionState.owner(ConnectionState.WRITING));
        assertEquals(ConnectionState.OWNER_NONE, ConnectionState.owner(ConnectionState.REQUEST_DONE));
    }

    @Test
    void shouldMatchTheMoveTableInTheArchitectureDocument() throws IOException {
        final String doc = Files.readString(ARCHITECTURE, StandardCharsets.UTF_8);
        final int begin = doc.indexOf("<!-- moves:begin -->");
        final int end = doc.indexOf("<!-- moves:end -->");
        assertTrue(begin >= 0 && end > begin, "docs/ARCHITECTURE.md has the moves table between its markers");
        final Set<String> documented = new TreeSet<>();
        for (final String line : doc.substring(begin, end).split("\n")) {
            final String[] cells = line.split("\\|");
            if (cells.length >= 4 && cells[1].trim().matches("[A-Z_]+") && !cells[1].trim().equals("FROM")) {
                assertTrue(documented.add(cells[1].trim() + " -> " + cells[2].trim()), "twice in the doc: " + line);
            }
        }
        final Set<String> table = new TreeSet<>();
        for (final int[] move : ConnectionMoves.moves()) {
            table.add(describe(move));
        }
        assertEquals(table, documented, "docs/ARCHITECTURE.md lists exactly the moves of ConnectionMoves");
    }

    private static boolean reachable(final int from, final int to) {
        final boolean[] seen = new boolean[ConnectionState.COUNT];
        final int[] stack = new int[ConnectionState.COUNT * ConnectionState.COUNT];
        int top = 0;
        stack[top++] = from;
        while (top > 0) {
            final int state = stack[--top];
            for (int next = 0; next < ConnectionState.COUNT; next++) {
                if (ConnectionMoves.isLegal(state, next) && !seen[next]) {
                    if (next == to) {
                        return true;
                    }
                    seen[next] = true;
                    stack[top++] = next;
                }
            }
        }
        return false;
    }

    private static String describe(final int[] move) {
        return ConnectionState.name(move[0]) + " -> " + ConnectionState.name(move[1]);
    }
}
