package io.reactivehub.server.config;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server jar's heap settings, applied at start so that {@code java -jar hub-server.jar} gives a
 * small footprint without GC flags. A node that took a burst of handshakes (each leaves garbage
 * behind) or a burst of messages should give that memory back once the burst is over, because idle
 * connections are what a node holds most of its life:
 *
 * <ul>
 *   <li>{@code MinHeapFreeRatio=5}, {@code MaxHeapFreeRatio=20}: after a collection the heap keeps
 *       at most 20% free (the JVM's default keeps up to 70%); they steer how far the heap shrinks,
 *       not how often the young generation is collected, so throughput under load is unchanged;
 *   <li>{@code G1PeriodicGCInterval=30000}: with G1 (the default collector), a concurrent cycle when
 *       no collection ran for 30 s, so an idle node does shrink.
 * </ul>
 *
 * <p>All three are manageable options (settable while the JVM runs). An option given on the
 * command line ({@code -XX:...}) wins: only options still at their default are changed. Embedders
 * own their JVM; {@link io.reactivehub.server.HubServer} does not call this, the {@code serve}
 * command does.
 */
public final class HeapTuning {
    private static final Map<String, String> SETTINGS = new LinkedHashMap<>();

    static {
        // Min before Max: the JVM refuses a MaxHeapFreeRatio below MinHeapFreeRatio (default 40).
        SETTINGS.put("MinHeapFreeRatio", "5");
        SETTINGS.put("MaxHeapFreeRatio", "20");
        SETTINGS.put("G1PeriodicGCInterval", "30000");
    }

    private HeapTuning() {}

    /**
     * Applies the settings that are still at their defaults.
     *
     * @return what was set, name to value (empty on a JVM without these options)
     */
    public static Map<String, String> apply() {
        Map<String, String> applied = new LinkedHashMap<>();
        HotSpotDiagnosticMXBean vm;
        try {
            vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        } catch (RuntimeException e) {
            return applied;
        }
        if (vm == null) {
            return applied;
        }
        boolean g1 = "true".equals(value(vm, "UseG1GC"));
        for (Map.Entry<String, String> setting : SETTINGS.entrySet()) {
            String name = setting.getKey();
            if (name.startsWith("G1") && !g1) {
                continue;
            }
            try {
                VMOption option = vm.getVMOption(name);
                if (option.getOrigin() == VMOption.Origin.DEFAULT && option.isWriteable()) {
                    vm.setVMOption(name, setting.getValue());
                    applied.put(name, setting.getValue());
                }
            } catch (IllegalArgumentException e) {
                // not an option of this JVM, or refused (e.g. a Max below a Min given on the command line)
            }
        }
        return applied;
    }

    private static String value(HotSpotDiagnosticMXBean vm, String name) {
        try {
            return vm.getVMOption(name).getValue();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
