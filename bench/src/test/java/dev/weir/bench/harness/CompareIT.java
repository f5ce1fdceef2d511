package dev.weir.bench.harness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompareIT {

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldMeasureDirectAndWriteJsonAndPlotInTinyMode(@TempDir final Path results) throws Exception {
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        final int status = Compare.run(new String[] {"--tiny", "--targets", "direct,weir", "--origin", "inproc",
            "--loadgen", "builtin", "--no-pin", "--weir", results.resolve("no-such-weir").toString(),
            "--results", results.toString()}, new PrintStream(log, true, StandardCharsets.UTF_8));
        final String out = log.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, out);
        assertTrue(out.contains("unavailable: weir"), out);

        final String json = Files.readString(results.resolve("latest.json"));
        assertTrue(json.contains("\"schema\": \"weir-bench-compare/1\""), json);
        assertTrue(json.contains("\"target\": \"direct\""), json);
        assertTrue(json.contains("\"weir\": \""), "weir listed as unavailable: " + json);
        final Matcher rps = Pattern.compile("\"rpsMedian\": ([0-9.E]+)").matcher(json);
        assertTrue(rps.find(), json);
        assertTrue(Double.parseDouble(rps.group(1)) > 0, json);
        final Matcher errors = Pattern.compile("\"errors\": ([0-9]+)").matcher(json);
        assertTrue(errors.find(), json);
        assertEquals("0", errors.group(1), json);

        final byte[] png = Files.readAllBytes(results.resolve("latest.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
        try (var files = Files.list(results)) {
            assertEquals(4, files.filter(p -> p.getFileName().toString().matches("(compare-.*|latest)\\.(json|png)"))
                .count());
        }
    }
}
