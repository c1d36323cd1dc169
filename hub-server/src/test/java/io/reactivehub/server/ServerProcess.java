package io.reactivehub.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The real server (the CLI's main class) in its own JVM on a free loopback port, to signal or kill. */
final class ServerProcess implements AutoCloseable {
    final Process process;
    final int port;
    private final Queue<String> output;
    private final Thread reader;

    private ServerProcess(Process process, int port, Queue<String> output, Thread reader) {
        this.process = process;
        this.port = port;
        this.output = output;
        this.reader = reader;
    }

    /** What the process printed (stdout and stderr; all of it once it has exited), for failure messages. */
    String output() {
        if (!process.isAlive()) {
            try {
                reader.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return String.join("\n", output);
    }

    /** Starts {@code serve} with these extra arguments; returns once it listens. */
    static ServerProcess start(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // The application's own logging (INFO start line), not the tests' quieter one.
                "-Dlogback.configurationFile=logback.xml",
                "-cp",
                System.getProperty("java.class.path"),
                "io.reactivehub.server.cli.HubCommand",
                "--host",
                "127.0.0.1",
                "--port",
                "0"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Queue<String> output = new ConcurrentLinkedQueue<>();
        Thread reader = new Thread(() -> {
            Pattern listening = Pattern.compile("hub listening on 127\\.0\\.0\\.1:(\\d+)");
            try (BufferedReader out =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    output.add(line);
                    Matcher m = listening.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
            port.completeExceptionally(new IllegalStateException("server exited before listening"));
        });
        reader.setDaemon(true);
        reader.start();
        try {
            return new ServerProcess(process, port.get(60, TimeUnit.SECONDS), output, reader);
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** How a server that stopped by itself ended: its exit code and everything it printed. */
    record Exited(int exitCode, String output) {}

    /** Runs {@code serve} with these arguments (no host or port added) until it exits by itself. */
    static Exited runToExit(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dlogback.configurationFile=logback.xml",
                "-cp",
                System.getProperty("java.class.path"),
                "io.reactivehub.server.cli.HubCommand"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("still running: " + output);
            }
            return new Exited(process.exitValue(), output);
        } finally {
            process.destroyForcibly();
        }
    }

    /** SIGKILL: the node dies without a word to anyone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
