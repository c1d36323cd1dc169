package io.reactivehub.core;

/**
 * What a message's bytes are. Decides the WebSocket opcode on the raw protocol and how the hub
 * protocol embeds the payload in its {@code data} field.
 */
public enum PayloadType {
    /** UTF-8 text: a text frame on the raw protocol, a JSON string in the hub protocol. */
    TEXT,
    /** Opaque bytes: a binary frame on the raw protocol, base64 in the hub protocol. */
    BINARY,
    /**
     * A UTF-8 JSON value: a text frame on the raw protocol, embedded as is in the hub protocol's
     * pushes and history replies, so it must be valid JSON (the hub protocol and the server API
     * only publish what Jackson wrote).
     */
    JSON
}
