package dev.weir.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.weir.arena.ProcessStatus;

class CpuListTest {

    private static WeirConfig yaml(final String text) {
        return ConfigLoader.readYaml(text, "test.yaml", WeirConfig.builder()).build();
    }

    @Test
    void shouldExpandRangesInTheOrderWritten() {
        assertArrayEquals(new int[] {0, 1, 2, 3, 6}, CpuList.parse("affinity", "0-3,6"));
        assertArrayEquals(new int[] {5, 1}, CpuList.parse("affinity", "5,1"));
        assertArrayEquals(new int[0], CpuList.parse("affinity", "none"));
    }

    @Test
    void shouldRejectWhatIsNotACpuListNamingTheKey() {
        for (final String bad : new String[] {"3-1", "a", "1,,2", "1-", "-1", "2,2", "0-1,1", "1024", " 1"}) {
            final ConfigException e = assertThrows(ConfigException.class, () -> CpuList.parse("affinity", bad), bad);
            assertEquals("affinity", e.key());
            assertTrue(e.getMessage().contains("CPU list"), e.getMessage());
        }
    }

    @Test
    void shouldRejectACpuOutsideTheAllowedSet() {
        final ConfigException e = assertThrows(ConfigException.class,
            () -> CpuList.checkAllowed("affinity", new int[] {0, 4}, "0-3"));
        assertEquals("affinity", e.key());
        assertTrue(e.getMessage().contains("CPU 4 is not in this process's allowed set 0-3"), e.getMessage());
        CpuList.checkAllowed("affinity", new int[] {3, 0}, "0-3");
    }

    @Test
    void shouldReadAffinityFromYamlAsANumberOrAListAndCheckItAgainstThisProcess() {
        final String allowed = ProcessStatus.allowedCpuList();
        final int first = CpuList.parse("Cpus_allowed_list", allowed)[0];
        assertArrayEquals(new int[] {first}, yaml("affinity: " + first + "\n").affinityCpus());
        assertEquals(Integer.toString(first), yaml("affinity: " + first + "\n").affinity());
        assertArrayEquals(new int[0], WeirConfig.builder().build().affinityCpus());
        final ConfigException e = assertThrows(ConfigException.class, () -> yaml("affinity: 1023\n"));
        assertEquals("affinity", e.key());
        assertTrue(e.getMessage().contains(allowed), e.getMessage());
    }

    @Test
    void shouldKeepTheStackPretouchBelowTheThreadStackLessTheGuardMargin() {
        assertEquals(384 * 1024, yaml("jvm:\n  stack-pretouch: 384k\n").stackPretouchBytes());
        assertEquals(0, yaml("jvm:\n  stack-pretouch: none\n").stackPretouchBytes());
        final ConfigException e = assertThrows(ConfigException.class,
            () -> yaml("jvm:\n  stack-pretouch: 385k\n"));
        assertEquals("jvm.stack-pretouch", e.key());
        assertTrue(e.getMessage().contains("at most jvm.thread-stack - 128k (384k with jvm.thread-stack 512k)"),
            e.getMessage());
        assertEquals(768 * 1024, yaml("jvm:\n  thread-stack: 1m\n  stack-pretouch: 768k\n").stackPretouchBytes());
    }
}
