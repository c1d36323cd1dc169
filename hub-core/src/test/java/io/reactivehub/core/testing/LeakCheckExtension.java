package io.reactivehub.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class if Netty reported a leaked buffer while it ran. Registered for every test
 * through JUnit's extension auto-detection (see junit-platform.properties); the tests run with
 * {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer is tracked.
 */
public final class LeakCheckExtension implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) {
        // Leaks are reported when a tracked buffer has been collected and the detector next tracks
        // an allocation: collect, then allocate, a few times over.
        for (int i = 0; i < 3; i++) {
            System.gc();
            ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(16);
            probe.release();
        }
        List<String> reports = LeakReports.drain();
        if (!reports.isEmpty()) {
            throw new AssertionError(reports.size() + " Netty leak report(s) in " + context.getDisplayName() + ":\n"
                    + String.join("\n\n", reports));
        }
    }
}
