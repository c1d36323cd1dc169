package io.reactivehub.server;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the README says the server does with a sequence of client frames (RFC 6455 as the hub
 * enforces it): the close codes it may answer with, or that it keeps the connection. The first
 * frame that breaks a rule decides; a frame that breaks several rules may be answered with any of
 * their codes (the checks run in different pipeline stages).
 */
final class FrameModel {
    static final int RSV1 = 4;

    /**
     * One client frame. On the first frame of a compressed message: {@code inflated}, what the whole
     * message inflates to (null: unknown, {@code garbage}); {@code firstInflated}, how many bytes
     * this frame's own compressed bytes inflate to.
     */
    record WsFrame(
            boolean fin, int rsv, int opcode, byte[] payload, byte[] inflated, int firstInflated, boolean garbage) {
        static WsFrame of(boolean fin, int rsv, int opcode, byte[] payload) {
            return new WsFrame(fin, rsv, opcode, payload, null, 0, false);
        }

        @Override
        public String toString() {
            return String.format(
                    "%s%s op=%x rsv=%d len=%d%s",
                    fin ? "FIN" : "---",
                    garbage ? " garbage" : "",
                    opcode,
                    rsv,
                    payload.length,
                    payload.length <= 24 ? " " + hex(payload) : "");
        }
    }

    /**
     * The model's verdict: {@code frames} is how many frames the client sends (none after the one
     * that ends the connection: unread bytes would make the server's TCP close a reset);
     * {@code codes} the close codes allowed, empty when the connection must stay open;
     * {@code unknown} when the outcome may also be an open connection (garbage compressed data).
     */
    record Outcome(int frames, Set<Integer> codes, boolean unknown) {
        boolean staysOpen() {
            return codes.isEmpty();
        }
    }

    private FrameModel() {}

    static Outcome expect(List<WsFrame> frames, boolean masked, boolean deflate, int maxMessageSize) {
        int message = -1; // opcode of the fragmented message in progress
        boolean compressed = false;
        byte[] inflatedOfMessage = new byte[0];
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (int i = 0; i < frames.size(); i++) {
            WsFrame f = frames.get(i);
            Set<Integer> broken = new HashSet<>();
            boolean control = f.opcode() >= 0x8;
            if (!masked) {
                broken.add(CloseCodes.PROTOCOL_ERROR);
            }
            if ((f.rsv() & 3) != 0) {
                broken.add(CloseCodes.PROTOCOL_ERROR);
            }
            if ((f.rsv() & RSV1) != 0 && (!deflate || control || f.opcode() == 0x0)) {
                broken.add(CloseCodes.PROTOCOL_ERROR);
            }
            if ((f.opcode() >= 0x3 && f.opcode() <= 0x7) || f.opcode() >= 0xB) {
                broken.add(CloseCodes.PROTOCOL_ERROR);
            }
            if (control && (!f.fin() || f.payload().length > 125)) {
                broken.add(CloseCodes.PROTOCOL_ERROR);
            }
            if (f.payload().length > maxMessageSize) {
                broken.add(CloseCodes.MESSAGE_TOO_BIG);
            }
            if (f.opcode() == 0x0 && message < 0) {
                broken.add(CloseCodes.PROTOCOL_ERROR);
            }
            if ((f.opcode() == 0x1 || f.opcode() == 0x2) && message >= 0) {
                broken.add(CloseCodes.PROTOCOL_ERROR);
            }
            if (!broken.isEmpty()) {
                return new Outcome(i + 1, broken, false);
            }
            if (f.opcode() == 0x8) {
                return new Outcome(i + 1, Set.of(close(f.payload())), false);
            }
            if (control) {
                continue; // ping (answered) or pong (ignored)
            }
            if (f.opcode() != 0x0) {
                message = f.opcode();
                compressed = (f.rsv() & RSV1) != 0;
                content.reset();
                if (compressed && (f.garbage() || f.inflated() == null)) {
                    // Random bytes as deflate data: inflation fails (1007 or 1009), or yields something.
                    return new Outcome(
                            i + 1,
                            Set.of(CloseCodes.PROTOCOL_ERROR, CloseCodes.INVALID_PAYLOAD, CloseCodes.MESSAGE_TOO_BIG),
                            true);
                }
                if (compressed && !f.fin() && f.firstInflated() == 0) {
                    // Netty's inflater refuses a first fragment that inflates to nothing yet
                    // ("cannot read uncompressed buffer"), valid as it is (RFC 7692): 1007.
                    return new Outcome(i + 1, Set.of(CloseCodes.INVALID_PAYLOAD), false);
                }
                if (compressed && f.firstInflated() > maxMessageSize) {
                    return new Outcome(i + 1, Set.of(CloseCodes.MESSAGE_TOO_BIG), false);
                }
            }
            if (f.opcode() != 0x0 && compressed) {
                inflatedOfMessage = f.inflated();
            }
            if (compressed && f.fin()) {
                content.writeBytes(inflatedOfMessage); // checked once whole: its prefixes are in bounds
            }
            if (!compressed) {
                content.writeBytes(f.payload());
            }
            if (content.size() > maxMessageSize) {
                return new Outcome(i + 1, Set.of(CloseCodes.MESSAGE_TOO_BIG), false);
            }
            if (message == 0x1 && !utf8(content.toByteArray(), f.fin())) {
                return new Outcome(i + 1, Set.of(CloseCodes.INVALID_PAYLOAD), false);
            }
            if (f.fin()) {
                message = -1;
            }
        }
        return new Outcome(frames.size(), Set.of(), false);
    }

    /** The answer to a client's close frame: its code echoed, 1002 or 1007. 1005: an empty close echoed. */
    private static int close(byte[] payload) {
        if (payload.length == 0) {
            return 1005;
        }
        if (payload.length == 1) {
            return CloseCodes.PROTOCOL_ERROR;
        }
        int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        boolean valid =
                (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
        if (!valid) {
            return CloseCodes.PROTOCOL_ERROR;
        }
        byte[] reason = new byte[payload.length - 2];
        System.arraycopy(payload, 2, reason, 0, reason.length);
        return utf8(reason, true) ? code : CloseCodes.INVALID_PAYLOAD;
    }

    /** Valid UTF-8; when not {@code complete}, a valid prefix (a truncated last character is fine). */
    static boolean utf8(byte[] bytes, boolean complete) {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        return !decoder.decode(ByteBuffer.wrap(bytes), CharBuffer.allocate(bytes.length + 1), complete)
                .isError();
    }

    static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            s.append(String.format("%02x", b));
        }
        return s.toString();
    }
}
