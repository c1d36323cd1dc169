package io.reactivehub.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class HeapTuningTest {
    private final HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);

    @Test
    void heapGivesMemoryBackAfterBurstsUnlessTheCommandLineSaidOtherwise() {
        boolean minWasDefault = isDefault("MinHeapFreeRatio");
        boolean maxWasDefault = isDefault("MaxHeapFreeRatio");

        var applied = HeapTuning.apply();

        if (minWasDefault && maxWasDefault) {
            assertThat(applied).containsEntry("MinHeapFreeRatio", "5").containsEntry("MaxHeapFreeRatio", "20");
            assertThat(vm.getVMOption("MaxHeapFreeRatio").getValue()).isEqualTo("20");
        }
        // Applying again changes nothing: the options are no longer at their defaults.
        assertThat(HeapTuning.apply()).isEmpty();
    }

    private boolean isDefault(String name) {
        return vm.getVMOption(name).getOrigin() == VMOption.Origin.DEFAULT;
    }
}
