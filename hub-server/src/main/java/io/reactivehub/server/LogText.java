package io.reactivehub.server;

import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Client-supplied text made safe for a log line: every control character (CR, LF, ESC, the rest
 * of C0 and C1, DEL, and the Unicode line and paragraph separators) written as an escape
 * ({@code \n}, {@code \r}, {@code \t}, {@code \u001b}), backslashes doubled, and anything longer
 * than the limit cut with a note of how much was left out. A client can then neither forge a log
 * line nor drive a terminal, nor fill the log with one command. Stateless.
 */
public final class LogText {
    /** What {@link #escape(String)} keeps of a longer text. */
    public static final int DEFAULT_MAX_LENGTH = 200;

    private LogText() {}

    /** {@link #escape(String, int)} with {@value #DEFAULT_MAX_LENGTH} characters. */
    public static String escape(@Nullable String text) {
        return escape(text, DEFAULT_MAX_LENGTH);
    }

    /**
     * @param maxLength characters of {@code text} kept (before escaping); the rest is replaced by
     *                  {@code …(N more)}
     * @return the text on one line; {@code "null"} for null
     */
    public static String escape(@Nullable String text, int maxLength) {
        if (text == null) {
            return "null";
        }
        int kept = Math.min(text.length(), Math.max(0, maxLength));
        StringBuilder out = null;
        for (int i = 0; i < kept; i++) {
            char c = text.charAt(i);
            if (needsEscape(c)) {
                if (out == null) {
                    out = new StringBuilder(kept + 16).append(text, 0, i);
                }
                appendEscaped(out, c);
            } else if (out != null) {
                out.append(c);
            }
        }
        if (out == null && kept == text.length()) {
            return text;
        }
        if (out == null) {
            out = new StringBuilder(kept + 16).append(text, 0, kept);
        }
        if (kept < text.length()) {
            out.append("…(").append(text.length() - kept).append(" more)");
        }
        return out.toString();
    }

    /**
     * URIs with their user info (a password: {@code redis://:secret@host}, {@code redis://user:secret@host})
     * replaced by {@code ***}, wherever they occur in {@code text} (a comma-separated list, an
     * exception's message).
     */
    public static String maskUserInfo(@Nullable String text) {
        return text == null ? "null" : USER_INFO.matcher(text).replaceAll("$1***@");
    }

    private static final Pattern USER_INFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)[^@/\\s,?#]*@");

    private static boolean needsEscape(char c) {
        return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '\\' || c == '\u2028' || c == '\u2029';
    }

    private static void appendEscaped(StringBuilder out, char c) {
        switch (c) {
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            case '\t' -> out.append("\\t");
            case '\\' -> out.append("\\\\");
            default -> out.append(String.format("\\u%04x", (int) c));
        }
    }
}
