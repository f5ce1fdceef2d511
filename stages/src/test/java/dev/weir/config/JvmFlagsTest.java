package dev.weir.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

class JvmFlagsTest {

    private static final Path PARENT_POM = Paths.get("..", "pom.xml");

    @Test
    void shouldReadTheChronicleFlagsWithoutCommentsOrBlankLines() {
        final List<String> flags = JvmFlags.chronicle();
        assertEquals("--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", flags.get(0));
        assertTrue(flags.contains("--add-opens=java.base/java.nio=ALL-UNNAMED"), flags.toString());
        for (final String flag : flags) {
            assertTrue(flag.startsWith("-") && !flag.contains(" ") && !flag.contains("#"), flag);
        }
    }

    @Test
    void shouldHaveTheParentPomPropertyEqualToTheChronicleFlagsFile() throws IOException {
        final Matcher m = Pattern.compile("<weir\\.jvm\\.flags>([^<]*)</weir\\.jvm\\.flags>")
            .matcher(Files.readString(PARENT_POM));
        assertTrue(m.find(), "no weir.jvm.flags property in " + PARENT_POM);
        final List<String> pom = Arrays.asList(m.group(1).trim().split("\\s+"));
        assertEquals(JvmFlags.chronicle(), pom, "weir.jvm.flags in pom.xml differs from "
            + JvmFlags.CHRONICLE_FLAGS_RESOURCE);
    }

    @Test
    void shouldHaveStartedThisTestJvmWithEveryChronicleFlag() {
        final List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (final String flag : JvmFlags.chronicle()) {
            assertTrue(args.contains(flag), flag + " missing from the test JVM's arguments " + args);
        }
    }
}
