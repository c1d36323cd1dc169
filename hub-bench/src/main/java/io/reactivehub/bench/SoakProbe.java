package io.reactivehub.bench;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * What the soak samples from the server process on this machine. From /proc: resident memory
 * (VmRSS) and open file descriptors (entries of /proc/PID/fd). Through the JDK's attach API and
 * the server JVM's local JMX agent (started on first use, loopback only): the heap in use right
 * after a full GC the probe asks for (MemoryMXBean.gc: live data, not garbage waiting for a
 * collection), and the JDK's direct buffer pool, which holds Netty's direct memory as Netty runs
 * on Java 17 by default (without {@code --add-opens java.base/java.nio} it allocates through
 * {@code ByteBuffer.allocateDirect}, not behind the JDK's back). Not thread-safe.
 */
final class SoakProbe implements AutoCloseable {
    record Sample(long rssBytes, long heapAfterGcBytes, long directBytes, long directBuffers, int fds) {}

    private final int pid;
    private JMXConnector jmx;
    private MemoryMXBean memory;
    private BufferPoolMXBean direct;

    SoakProbe(int pid) {
        this.pid = pid;
    }

    Sample sample() throws IOException {
        connect();
        memory.gc();
        long heap = memory.getHeapMemoryUsage().getUsed();
        return new Sample(rss(), heap, direct.getMemoryUsed(), direct.getCount(), fds());
    }

    private void connect() throws IOException {
        if (jmx != null) {
            return;
        }
        String address;
        try {
            VirtualMachine vm = VirtualMachine.attach(Integer.toString(pid));
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
        } catch (Exception e) {
            throw new IOException("cannot attach to JVM " + pid + ": " + e, e);
        }
        jmx = JMXConnectorFactory.connect(new JMXServiceURL(address));
        MBeanServerConnection server = jmx.getMBeanServerConnection();
        memory = ManagementFactory.newPlatformMXBeanProxy(
                server, ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
        direct = ManagementFactory.newPlatformMXBeanProxy(
                server, "java.nio:type=BufferPool,name=direct", BufferPoolMXBean.class);
    }

    private long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }

    private int fds() throws IOException {
        try (Stream<Path> entries = Files.list(Path.of("/proc", Integer.toString(pid), "fd"))) {
            return (int) entries.count();
        }
    }

    @Override
    public void close() {
        if (jmx != null) {
            try {
                jmx.close();
            } catch (IOException ignored) {
                // the server may be gone already
            }
        }
    }
}
