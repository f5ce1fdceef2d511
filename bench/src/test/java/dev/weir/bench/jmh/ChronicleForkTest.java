package dev.weir.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

import dev.weir.config.JvmFlags;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Fork;

class ChronicleForkTest {

    @Test
    void shouldForkBenchmarksWithTheChronicleFlagsFile() {
        final Fork fork = ChronicleFork.class.getAnnotation(Fork.class);
        assertEquals(JvmFlags.chronicle(), Arrays.asList(fork.jvmArgsAppend()),
            "ChronicleFork's @Fork differs from " + JvmFlags.CHRONICLE_FLAGS_RESOURCE);
    }
}
