package dev.weir.arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class ProcessStatusTest {

    @Test
    void shouldTakeTheResidentSetAndItsPeakFromTheSameLines() {
        final ProcessStatus.Resident resident = ProcessStatus.resident(List.of("Name:\tjava", "VmHWM:\t  204800 kB",
            "VmRSS:\t  102400 kB", "Threads:\t12"));
        assertEquals(new ProcessStatus.Resident(100L << 20, 200L << 20), resident);
    }

    @Test
    void shouldReportUnknownRowsAsUnknown() {
        assertEquals(new ProcessStatus.Resident(ProcessStatus.UNKNOWN, ProcessStatus.UNKNOWN),
            ProcessStatus.resident(List.of()));
    }

    @Test
    void shouldReadAPeakNotBelowTheResidentSetOfThisProcess() {
        final ProcessStatus.Resident resident = ProcessStatus.resident();
        assertTrue(resident.currentBytes() > 0 && resident.peakBytes() >= resident.currentBytes(), resident.toString());
    }
}
