package io.reactivehub.core.testing;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} of the test's own, on an ephemeral loopback port, that a test may
 * stop, kill and start again. The binary is {@code redis-server} from PATH; without one, the Redis
 * 6.2 binary inside {@code com.github.codemonstur:embedded-redis} (Linux x86_64) is used.
 */
public final class RedisProcess implements AutoCloseable {
    private static volatile String binary;
    private static volatile int major;

    private final String executable;
    private final int port;
    private final Path dir;
    private final List<String> extraArgs;
    private Process process;

    private RedisProcess(String executable, int port, Path dir, List<String> extraArgs) {
        this.executable = executable;
        this.port = port;
        this.dir = dir;
        this.extraArgs = extraArgs;
    }

    /** Starts a standalone server on a free port. */
    public static RedisProcess start() {
        return start(freePort(), List.of());
    }

    /** Starts a server on {@code port} with extra arguments (cluster mode, for one). */
    public static RedisProcess start(int port, List<String> extraArgs) {
        return start(binary(), port, extraArgs);
    }

    /** Starts {@code executable} (a redis-server binary) on {@code port}. */
    public static RedisProcess start(String executable, int port, List<String> extraArgs) {
        try {
            RedisProcess redis =
                    new RedisProcess(executable, port, Files.createTempDirectory("redis-" + port), extraArgs);
            redis.launch();
            return redis;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    private void launch() throws IOException {
        List<String> command = new ArrayList<>(List.of(
                executable,
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString(),
                "--protected-mode",
                "no"));
        command.addAll(extraArgs);
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> "+PONG".equals(command("PING")));
    }

    /** Kills the server without warning (SIGKILL), as a crash would. */
    public void kill() {
        process.destroyForcibly();
        waitForExit();
    }

    /** Starts the server again on the same port, empty (it keeps nothing on disk). */
    public void restart() {
        if (isAlive()) {
            kill();
        }
        try {
            launch();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void waitForExit() {
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("redis-server " + process.pid() + " did not exit");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Sends one inline command and returns the reply: a bulk string's content, else the first line
     * ({@code +OK}, {@code :1}, {@code -ERR ...}); null if the server cannot be reached.
     */
    public String command(String line) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder reply = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\r') {
                reply.append((char) c);
            }
            if (reply.length() > 1 && reply.charAt(0) == '$' && reply.charAt(1) != '-') {
                in.read(); // \n
                byte[] bulk = in.readNBytes(Integer.parseInt(reply.substring(1)));
                return new String(bulk, StandardCharsets.UTF_8);
            }
            return reply.toString();
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A port free now, with its cluster bus port (+10000) free too. */
    public static int freePort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket(0)) {
                int port = socket.getLocalPort();
                if (port < 55000 && isFree(port + 10000)) {
                    return port;
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("no free port pair found");
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code redis-server} from PATH, else the embedded Redis 6.2 binary extracted to a temporary file. */
    public static synchronized String binary() {
        if (binary != null) {
            return binary;
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = Path.of(dir, "redis-server");
                if (Files.isExecutable(candidate)) {
                    binary = candidate.toString();
                    return binary;
                }
            }
        }
        binary = embeddedBinary();
        return binary;
    }

    /** The Redis 6.2 binary shipped in embedded-redis, extracted to a temporary file. */
    public static synchronized String embeddedBinary() {
        String resource = "/redis-server-6.2.6-v5-linux-amd64";
        try (InputStream in = RedisProcess.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no redis-server on PATH and no embedded binary " + resource);
            }
            Path file = Files.createTempFile("redis-server-", "");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
            file.toFile().deleteOnExit();
            return file.toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The major version of {@link #binary()} ({@code redis-server --version}). */
    public static synchronized int majorVersion() {
        if (major != 0) {
            return major;
        }
        try {
            Process p = new ProcessBuilder(binary(), "--version")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            int v = out.indexOf("v=");
            major = Integer.parseInt(out.substring(v + 2, out.indexOf('.', v)));
            return major;
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot tell the version of " + binary(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Skips the calling test when the Redis binary is older than 7, saying why; with
     * {@code HUB_REQUIRE_REDIS7=true} (set by {@code .ci/run}) that is a failure instead.
     */
    public static void assumeRedis7(String why) {
        int version = majorVersion();
        String message = why + " needs Redis 7; " + binary() + " is Redis " + version;
        if (version < 7 && Boolean.parseBoolean(System.getenv("HUB_REQUIRE_REDIS7"))) {
            throw new AssertionError(message + " (HUB_REQUIRE_REDIS7=true: this skip is a failure)");
        }
        Assumptions.assumeTrue(version >= 7, message);
    }
}
