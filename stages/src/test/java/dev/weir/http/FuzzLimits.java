package dev.weir.http;

/**
 * Limits shared by the fuzz targets ({@code *FuzzTest}).
 */
final class FuzzLimits {

    /** How long Jazzer mutates inputs for each target when {@code JAZZER_FUZZ} is set. */
    static final String MAX_DURATION = "10m";

    private FuzzLimits() {
    }
}
