package io.reactivehub.server;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A deliberately low-level WebSocket client over a plain socket, so tests can send anything
 * (reserved bits, bad opcodes, unmasked frames, fragments), stop reading, or drop the connection
 * without a FIN. Blocking; one per test thread.
 */
final class WsTestClient implements AutoCloseable {
    static final int READ_TIMEOUT_MS = 20_000;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final boolean mask;
    /** The server's 101 response head, headers included. */
    String handshake = "";

    record Frame(int opcode, boolean fin, int rsv, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }

        boolean isClose() {
            return opcode == 0x8;
        }
    }

    private WsTestClient(Socket socket, boolean mask) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.mask = mask;
    }

    static WsTestClient connect(int port, String path) throws IOException {
        return connect(port, path, -1, true);
    }

    /** @param receiveBuffer socket receive buffer in bytes, or -1 for the default */
    static WsTestClient connect(int port, String path, int receiveBuffer, boolean mask) throws IOException {
        return connect(port, path, receiveBuffer, mask, "");
    }

    /** @param extraHeaders more request header lines, each ending in CRLF */
    static WsTestClient connect(int port, String path, String extraHeaders) throws IOException {
        return connect(port, path, -1, true, extraHeaders);
    }

    static WsTestClient connect(int port, String path, int receiveBuffer, boolean mask, String extraHeaders)
            throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(READ_TIMEOUT_MS);
        socket.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MS);
        String key = Base64.getEncoder().encodeToString(new byte[16]);
        String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
                + extraHeaders + "\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        String head = readHead(socket.getInputStream());
        if (!head.startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("upgrade refused: " + head.lines().findFirst().orElse(head));
        }
        WsTestClient client = new WsTestClient(socket, mask);
        client.handshake = head;
        return client;
    }

    /** Sends a plain HTTP request and returns the status line and body. */
    static String httpGet(int port, String path, boolean upgrade) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(READ_TIMEOUT_MS);
            String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    + (upgrade
                            ? "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                                    + Base64.getEncoder().encodeToString(new byte[16])
                                    + "\r\nSec-WebSocket-Version: 13\r\n"
                            : "")
                    + "\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed during handshake: " + head);
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    void sendText(String text) throws IOException {
        sendFrame(true, 0, 0x1, text.getBytes(StandardCharsets.UTF_8));
    }

    void sendBinary(byte[] payload) throws IOException {
        sendFrame(true, 0, 0x2, payload);
    }

    void sendClose(int code) throws IOException {
        sendFrame(true, 0, 0x8, new byte[] {(byte) (code >> 8), (byte) code});
    }

    synchronized void sendFrame(boolean fin, int rsv, int opcode, byte[] payload) throws IOException {
        out.write(encode(fin, rsv, opcode, payload));
        out.flush();
    }

    /** Sends text frames in one TCP write, so the server reads them together. */
    synchronized void sendTexts(String... texts) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (String text : texts) {
            all.write(encode(true, 0, 0x1, text.getBytes(StandardCharsets.UTF_8)));
        }
        out.write(all.toByteArray());
        out.flush();
    }

    /** Sends already encoded frames ({@link #encode}) in one TCP write, so the server reads them together. */
    synchronized void sendInOneWrite(byte[]... frames) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] frame : frames) {
            all.write(frame);
        }
        out.write(all.toByteArray());
        out.flush();
    }

    /** One frame as this client sends it (masked unless connected without masking). */
    byte[] encode(boolean fin, int rsv, int opcode, byte[] payload) {
        return encode(mask, fin, rsv, opcode, payload);
    }

    /** One frame, masked or not whatever this client does. */
    static byte[] encode(boolean mask, boolean fin, int rsv, int opcode, byte[] payload) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
        int maskBit = mask ? 0x80 : 0;
        if (payload.length < 126) {
            frame.write(maskBit | payload.length);
        } else if (payload.length <= 0xFFFF) {
            frame.write(maskBit | 126);
            frame.write(payload.length >> 8);
            frame.write(payload.length);
        } else {
            frame.write(maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >> shift));
            }
        }
        byte[] key = new byte[4];
        if (mask) {
            ThreadLocalRandom.current().nextBytes(key);
            frame.write(key, 0, 4);
        }
        for (int i = 0; i < payload.length; i++) {
            frame.write(mask ? payload[i] ^ key[i & 3] : payload[i]);
        }
        return frame.toByteArray();
    }

    /** Changes the read timeout (at most {@link #READ_TIMEOUT_MS} during the handshake). */
    void readTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    /** Reads the next frame, waiting up to the read timeout. */
    Frame read() throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long length = b1 & 0x7F;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        byte[] payload = new byte[Math.toIntExact(length)];
        in.readFully(payload);
        return new Frame(b0 & 0x0F, (b0 & 0x80) != 0, (b0 >> 4) & 0x7, payload);
    }

    /** Reads the next data frame as text, failing on anything else. */
    String readText() throws IOException {
        Frame frame = read();
        if (frame.opcode() != 0x1) {
            throw new IOException("expected a text frame, got opcode " + frame.opcode()
                    + (frame.isClose() ? " (close " + frame.closeCode() + ")" : ""));
        }
        return frame.text();
    }

    /** Skips data frames until a close frame and returns its code; -1 if the connection ended without one. */
    int readCloseCode() throws IOException {
        try {
            while (true) {
                Frame frame = read();
                if (frame.isClose()) {
                    return frame.closeCode();
                }
            }
        } catch (EOFException e) {
            return -1;
        }
    }

    /** True once the server has closed the TCP connection (after any remaining frames). */
    boolean isClosedByPeer() throws IOException {
        try {
            while (true) {
                read();
            }
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /** Drops the connection with a TCP reset: no close frame, no FIN. */
    void abort() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
