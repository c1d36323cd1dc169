package io.reactivehub.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A hub server the soak starts as its own child process on 127.0.0.1 and a free port, and stops
 * (SIGTERM, then SIGKILL after 20 s) by its process handle: never anything it did not start. It is
 * up once it accepts connections on the port ({@link #freePort()}, passed as {@code --port}).
 */
final class ServerChild implements AutoCloseable {
    final Process process;
    final int port;
    private final Deque<String> lastLines;

    private ServerChild(Process process, int port, Deque<String> lastLines) {
        this.process = process;
        this.port = port;
        this.lastLines = lastLines;
    }

    /** A port nobody listens on now. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** @param command the server's command line, listening on 127.0.0.1:{@code port} */
    static ServerChild start(List<String> command, int port) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Deque<String> lines = new ArrayDeque<>();
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader out = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line = out.readLine(); line != null; line = out.readLine()) {
                            synchronized (lines) {
                                lines.addLast(line);
                                if (lines.size() > 50) {
                                    lines.removeFirst();
                                }
                            }
                        }
                    } catch (IOException ignored) {
                        // the process is gone
                    }
                },
                "server-output");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (process.isAlive() && System.nanoTime() < deadline) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return new ServerChild(process, port, lines);
            } catch (IOException notYet) {
                TimeUnit.MILLISECONDS.sleep(200);
            }
        }
        process.destroyForcibly();
        synchronized (lines) {
            throw new IllegalStateException("server did not start: " + String.join("\n", lines));
        }
    }

    int pid() {
        return (int) process.pid();
    }

    /** The last lines the server printed. */
    String output() {
        synchronized (lastLines) {
            return String.join("\n", lastLines);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
