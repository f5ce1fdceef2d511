package dev.weir.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.weir.config.UpstreamGroupConfig;

/**
 * {@link Balancer} and the health of {@link UpstreamServer}: nginx's smooth weighted round-robin sequence, least
 * connections relative to weight, and passive ejection and readmission on an injected clock.
 */
class BalancerTest {

    private static final long SECOND_NS = 1_000_000_000L;

    private static UpstreamGroup group(final int balance, final int maxFails, final int... weights) {
        final List<UpstreamGroupConfig.Server> servers = new ArrayList<>();
        final UpstreamServer[] shared = new UpstreamServer[weights.length];
        for (int i = 0; i < weights.length; i++) {
            servers.add(new UpstreamGroupConfig.Server("127.0.0.1", 9000 + i, weights[i], "s" + i));
            shared[i] = new UpstreamServer(i, "g", "127.0.0.1:" + (9000 + i), null, weights[i], 2);
        }
        final UpstreamGroupConfig config = new UpstreamGroupConfig("g", servers, balance, true, maxFails, 10_000, 1,
            null, 1_000, 1_000, 1, 1);
        return new UpstreamGroup(config, shared);
    }

    private static String sequence(final Balancer balancer, final int picks, final long nowNs, final int excluded) {
        final StringBuilder s = new StringBuilder();
        for (int i = 0; i < picks; i++) {
            final int server = balancer.pick(nowNs, excluded, new int[8]);
            s.append(server == Balancer.NONE ? '-' : (char) ('a' + server));
        }
        return s.toString();
    }

    @Test
    void shouldSpreadWeightsSmoothlyAsNginxDoes() {
        assertEquals("aabacaa" + "aabacaa", sequence(new Balancer(group(UpstreamGroupConfig.ROUND_ROBIN, 1, 5, 1, 1)),
            14, 0, -1));
        assertEquals("abab", sequence(new Balancer(group(UpstreamGroupConfig.ROUND_ROBIN, 1, 1, 1)), 4, 0, -1));
        assertEquals("aabaaaba", sequence(new Balancer(group(UpstreamGroupConfig.ROUND_ROBIN, 1, 3, 1)), 8, 0, -1));
    }

    @Test
    void shouldLeaveOutTheExcludedServer() {
        assertEquals("bbbb", sequence(new Balancer(group(UpstreamGroupConfig.ROUND_ROBIN, 1, 5, 1)), 4, 0, 0));
        assertEquals("----", sequence(new Balancer(group(UpstreamGroupConfig.ROUND_ROBIN, 1, 5)), 4, 0, 0));
    }

    @Test
    void shouldPickTheFewestInFlightRelativeToWeightAndTakeTiesInTurn() {
        final Balancer balancer = new Balancer(group(UpstreamGroupConfig.LEAST_CONNECTIONS, 1, 1, 1, 2));
        final int[] inFlight = new int[3];
        assertEquals(0, balancer.pick(0, -1, inFlight));
        assertEquals(1, balancer.pick(0, -1, inFlight), "a tie goes to the next in turn");
        assertEquals(2, balancer.pick(0, -1, inFlight));
        inFlight[0] = 2;
        inFlight[1] = 1;
        inFlight[2] = 3;
        assertEquals(1, balancer.pick(0, -1, inFlight), "1/1 is less than 2/1 and 3/2");
        inFlight[2] = 1;
        assertEquals(2, balancer.pick(0, -1, inFlight), "1/2 beats 1/1: the heavier server takes more");
        assertEquals(1, balancer.pick(0, 2, inFlight), "the excluded server is left out");
    }

    @Test
    void shouldEjectAfterMaxFailsInARowAndReadmitAfterFailTimeout() {
        final UpstreamGroup group = group(UpstreamGroupConfig.ROUND_ROBIN, 2, 1, 1);
        final UpstreamServer a = group.server(0);
        final Balancer balancer = new Balancer(group);
        final long t0 = 5 * SECOND_NS;
        assertFalse(group.onFailure(a, 0, t0));
        a.onSuccess();
        assertFalse(group.onFailure(a, 1, t0), "a success in between starts the count again");
        assertTrue(a.isAvailable(t0));
        assertTrue(group.onFailure(a, 0, t0), "the second failure in a row ejects");
        assertFalse(a.isAvailable(t0 + 9 * SECOND_NS));
        assertEquals("bbbb", sequence(balancer, 4, t0 + SECOND_NS, -1), "an ejected server takes no requests");
        assertTrue(a.isAvailable(t0 + 10 * SECOND_NS), "tried again after fail-timeout");
        assertTrue(group.onFailure(a, 1, t0 + 11 * SECOND_NS), "on probation: one more failure ejects again");
        assertFalse(a.isAvailable(t0 + 20 * SECOND_NS));
        assertTrue(a.isAvailable(t0 + 21 * SECOND_NS));
        a.onSuccess();
        assertFalse(group.onFailure(a, 0, t0 + 22 * SECOND_NS), "a success ends the probation");
        assertEquals(5, a.failures(), "every failure counted, over both threads' rows");
        assertEquals(2, a.ejections());
    }

    @Test
    void shouldNeverEjectTheOnlyServerOfAGroupOrWithMaxFailsZero() {
        final UpstreamGroup single = group(UpstreamGroupConfig.ROUND_ROBIN, 1, 1);
        assertFalse(single.onFailure(single.server(0), 0, 0));
        assertTrue(single.server(0).isAvailable(0));
        final UpstreamGroup never = group(UpstreamGroupConfig.ROUND_ROBIN, 0, 1, 1);
        for (int i = 0; i < 10; i++) {
            assertFalse(never.onFailure(never.server(0), 0, 0));
        }
        assertTrue(never.server(0).isAvailable(0));
    }

    @Test
    void shouldFollowTheActiveCheckIndependentlyOfEjection() {
        final UpstreamGroup group = group(UpstreamGroupConfig.ROUND_ROBIN, 1, 1, 1);
        final UpstreamServer b = group.server(1);
        b.onCheck(false);
        assertFalse(b.isAvailable(0));
        assertEquals("aaa", sequence(new Balancer(group), 3, 0, -1));
        b.onCheck(true);
        assertTrue(b.isAvailable(0));
    }
}
