package dev.weir.http;

/**
 * Limits shared by the fuzz targets ({@code *FuzzTest}).
 */
final class FuzzLimits {

    /**
     * How long {@code -Pfuzz} mutates inputs for each target. Jazzer 0.24 takes it only from the annotation, so
     * it is a constant; {@code -Dweir.fuzz.runs=N} stops a target sooner, after N inputs (see docs/TESTING.md).
     */
    static final String MAX_DURATION = "10m";

    private FuzzLimits() {
    }
}
