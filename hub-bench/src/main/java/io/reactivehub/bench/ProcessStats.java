package io.reactivehub.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU and resident memory of another process on this Linux machine, from /proc. */
final class ProcessStats {
    /** USER_HZ: the unit of utime/stime in /proc/PID/stat; 100 on Linux x86_64. */
    private static final double TICKS_PER_SECOND = 100.0;

    private final int pid;

    record Sample(long nanoTime, long cpuTicks, long rssBytes) {
        double cpuPercentSince(Sample earlier) {
            double seconds = (nanoTime - earlier.nanoTime) / 1e9;
            return (cpuTicks - earlier.cpuTicks) / TICKS_PER_SECOND / seconds * 100;
        }
    }

    ProcessStats(int pid) {
        this.pid = pid;
    }

    Sample sample() {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            long rssKb = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rssKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            return new Sample(System.nanoTime(), ticks, rssKb * 1024);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + ": " + e.getMessage(), e);
        }
    }
}
