package dev.weir.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SizesTest {

    @Test
    void shouldParseSizesWithBinaryUnits() {
        assertEquals(16 * 1024, Sizes.parse("k", "16k"));
        assertEquals(512 * 1024, Sizes.parse("k", "512kb"));
        assertEquals(512 * 1024, Sizes.parse("k", "512KiB"));
        assertEquals(64L * 1024 * 1024, Sizes.parse("k", "64m"));
        assertEquals(2L * 1024 * 1024 * 1024, Sizes.parse("k", "2g"));
        assertEquals(2L * 1024 * 1024 * 1024, Sizes.parse("k", " 2 GB "));
        assertEquals(100, Sizes.parse("k", "100b"));
    }

    @Test
    void shouldRejectSizeWithoutUnitNamingTheKey() {
        final ConfigException e = assertThrows(ConfigException.class, () -> Sizes.parse("parse.buffer", "16384"));
        assertEquals("parse.buffer", e.key());
        assertTrue(e.getMessage().startsWith("parse.buffer: must be a size with a unit"), e.getMessage());
    }

    @Test
    void shouldRejectNegativeUnknownUnitFractionAndOverflow() {
        assertTrue(assertThrows(ConfigException.class, () -> Sizes.parse("jvm.heap", "-5m")).getMessage()
            .contains("must not be negative"));
        assertTrue(assertThrows(ConfigException.class, () -> Sizes.parse("jvm.heap", "5q")).getMessage()
            .contains("unknown unit"));
        assertThrows(ConfigException.class, () -> Sizes.parse("jvm.heap", "1.5g"));
        assertTrue(assertThrows(ConfigException.class, () -> Sizes.parse("jvm.heap", "99999999999t")).getMessage()
            .contains("too large"));
    }

    @Test
    void shouldFormatWithTheLargestExactUnit() {
        assertEquals("2g", Sizes.format(2L * 1024 * 1024 * 1024));
        assertEquals("1536m", Sizes.format(1536L * 1024 * 1024));
        assertEquals("16k", Sizes.format(16 * 1024));
        assertEquals("1000", Sizes.format(1000));
        assertEquals("1000b", Sizes.formatWithUnit(1000));
    }
}
