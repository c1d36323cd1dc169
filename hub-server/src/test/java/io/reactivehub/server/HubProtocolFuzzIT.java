package io.reactivehub.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reactivehub.core.ErrorCode;
import io.reactivehub.server.config.ServerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random and mutated hub-protocol input on {@code /hub} of one real server: valid commands with
 * fields removed, retyped, added or renamed, random JSON values, random text and bytes, deep
 * nesting, huge numbers, trailing garbage. Every input gets exactly one reply, an {@code ok} or an
 * error whose code is in the README's table; the connection then still answers a ping;
 * a bystander on another connection still gets what is published; nothing is logged at ERROR and
 * no buffer leaks. jqwik prints the seed of a failing run; re-running reuses it.
 */
class HubProtocolFuzzIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TIMEOUT_MS = 10_000;
    private static final List<String> CHANNELS = List.of("a", "b", "room", "fuzz.1");
    /** The README's table: every ErrorCode but 108 (reserved, never sent). */
    private static final Set<Integer> DOCUMENTED_CODES = Arrays.stream(ErrorCode.values())
            .map(ErrorCode::code)
            .filter(code -> code != 108)
            .collect(Collectors.toSet());

    private static ServerFixture fixture;
    private static FuzzWatch watch;
    private static WsTestClient bystander;
    private static int tries;

    @BeforeContainer
    static void start() throws IOException {
        fixture = new ServerFixture(ServerConfig.DEFAULT);
        watch = new FuzzWatch();
        // On channel "a", which the fuzzed commands also publish to: it gets their pushes too.
        bystander = WsTestClient.connect(fixture.port(), "/hub");
        bystander.readTimeout(TIMEOUT_MS);
        bystander.sendText("{\"id\":\"join\",\"op\":\"subscribe\",\"channel\":\"a\"}");
        assertThat(JSON.readTree(bystander.readText()).path("ok").asBoolean()).isTrue();
    }

    @AfterContainer
    static void stop() throws IOException {
        bystander.close();
        watch.close();
        fixture.close();
    }

    @AfterProperty
    void noLeaks() {
        watch.assertNoLeaks("the hub-protocol fuzz");
    }

    /** One frame the fuzzer sends: text (always valid UTF-8 here) or binary. */
    record Input(String text, byte[] bytes, boolean binary) {
        static Input text(String text) {
            return new Input(text, text.getBytes(StandardCharsets.UTF_8), false);
        }

        @Override
        public String toString() {
            return binary ? "binary " + bytes.length + " bytes" : text;
        }
    }

    @Property(tries = 500)
    void everyInputIsAnsweredWithADocumentedReplyAndTheConnectionStaysUsable(@ForAll("sessions") List<Input> inputs)
            throws IOException {
        int n = ++tries;
        try (WsTestClient c = WsTestClient.connect(fixture.port(), "/hub")) {
            c.readTimeout(TIMEOUT_MS);
            for (Input input : inputs) {
                c.sendFrame(true, 0, input.binary() ? 0x2 : 0x1, input.bytes());
            }
            String probe = "probe-" + n;
            c.sendText("{\"id\":\"" + probe + "\",\"op\":\"ping\"}");
            int replies = 0;
            boolean probed = false;
            while (!probed || replies < inputs.size()) {
                WsTestClient.Frame frame = c.read();
                assertThat(frame.opcode())
                        .as(
                                "a text frame, got opcode %d%s",
                                frame.opcode(), frame.isClose() ? " close " + frame.closeCode() : "")
                        .isEqualTo(0x1);
                JsonNode reply = parse(frame.text());
                if (!reply.has("id")) {
                    assertPush(reply);
                } else if (probe.equals(reply.get("id").asText()) && reply.has("ok")) {
                    probed = true;
                } else {
                    assertDocumented(reply);
                    replies++;
                }
            }
            assertThat(replies).as("one reply per input").isEqualTo(inputs.size());
        }
        bystanderStillServed(n);
        watch.assertNothingLogged("try " + n + ": " + inputs);
    }

    private static JsonNode parse(String text) throws JsonProcessingException {
        JsonNode node = JSON.readTree(text);
        assertThat(node.isObject()).as("a JSON object: %s", text).isTrue();
        return node;
    }

    private static void assertDocumented(JsonNode reply) {
        if (reply.has("ok")) {
            assertThat(reply.get("ok").asBoolean()).as(reply.toString()).isTrue();
            assertThat(reply.has("error")).as(reply.toString()).isFalse();
            return;
        }
        JsonNode error = reply.path("error");
        assertThat(error.path("code").isInt())
                .as("an ok or an error reply: %s", reply)
                .isTrue();
        assertThat(DOCUMENTED_CODES)
                .as(reply.toString())
                .contains(error.path("code").asInt());
        assertThat(error.path("message").asText()).as(reply.toString()).isNotBlank();
    }

    private static void assertPush(JsonNode push) {
        assertThat(push.path("channel").isTextual())
                .as("a push names its channel: %s", push)
                .isTrue();
        assertThat(push.has("data") || push.has("join") || push.has("leave") || push.has("unsubscribed"))
                .as(push.toString())
                .isTrue();
    }

    /** The bystander publishes a marker to its channel and gets it back, past the fuzzer's pushes. */
    private static void bystanderStillServed(int n) throws IOException {
        String marker = "after-" + n;
        bystander.sendText(
                "{\"id\":\"" + marker + "\",\"op\":\"publish\",\"channel\":\"a\",\"data\":\"" + marker + "\"}");
        boolean replied = false;
        boolean pushed = false;
        while (!replied || !pushed) {
            JsonNode frame = parse(bystander.readText());
            if (frame.has("id")) {
                assertDocumented(frame);
                replied |= marker.equals(frame.get("id").asText());
            } else {
                assertPush(frame);
                pushed |= marker.equals(frame.path("data").asText());
            }
        }
    }

    // --- generators ---

    @Provide
    Arbitrary<List<Input>> sessions() {
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(10, mutatedCommands()),
                        net.jqwik.api.Tuple.of(3, json(3).map(Input::text)),
                        net.jqwik.api.Tuple.of(
                                2, Arbitraries.strings().all().ofMaxLength(60).map(Input::text)),
                        net.jqwik.api.Tuple.of(
                                2,
                                Arbitraries.bytes()
                                        .array(byte[].class)
                                        .ofMaxSize(200)
                                        .map(b -> new Input("", b, true))),
                        net.jqwik.api.Tuple.of(2, deepNesting()),
                        net.jqwik.api.Tuple.of(2, hugeNumbers()))
                .list()
                .ofMinSize(1)
                .ofMaxSize(8);
    }

    /** A valid command, then up to three field mutations, then maybe a textual one. */
    private Arbitrary<Input> mutatedCommands() {
        Arbitrary<Mutation> mutation = Combinators.combine(
                        Arbitraries.of(Mutation.Kind.class),
                        Arbitraries.integers().between(0, 1000),
                        key(),
                        json(2))
                .as(Mutation::new);
        return Combinators.combine(
                        command(),
                        mutation.list().ofMaxSize(3),
                        Arbitraries.of(TextMutation.values()),
                        Arbitraries.integers().between(0, 1000),
                        Arbitraries.strings().all().ofMinLength(1).ofMaxLength(8))
                .as((fields, mutations, textMutation, at, garbage) -> {
                    Map<String, String> command = new LinkedHashMap<>(fields);
                    mutations.forEach(m -> m.apply(command));
                    return Input.text(textMutation.apply(render(command), at, garbage));
                });
    }

    private static String render(Map<String, String> fields) {
        return fields.entrySet().stream()
                .map(e -> quote(e.getKey()) + ":" + e.getValue())
                .collect(Collectors.joining(",", "{", "}"));
    }

    /** One of the documented commands with valid (or nearly valid) fields, as key to raw JSON. */
    private Arbitrary<Map<String, String>> command() {
        Arbitrary<String> id = Arbitraries.oneOf(
                Arbitraries.integers().map(String::valueOf),
                Arbitraries.strings().alpha().ofMaxLength(6).map(HubProtocolFuzzIT::quote),
                Arbitraries.just("null"));
        Arbitrary<String> op =
                Arbitraries.of("subscribe", "unsubscribe", "publish", "history", "presence", "ping", "refresh");
        Arbitrary<String> channel = Arbitraries.oneOf(
                Arbitraries.of(CHANNELS).map(HubProtocolFuzzIT::quote),
                Arbitraries.strings().ofMaxLength(140).map(HubProtocolFuzzIT::quote));
        Arbitrary<String> recover = Combinators.combine(
                        Arbitraries.longs().between(-2, 1_000_000),
                        Arbitraries.strings().alpha().ofMaxLength(6))
                .as((offset, epoch) -> "{\"offset\":" + offset + ",\"epoch\":" + quote(epoch) + "}");
        Arbitrary<String> count = Arbitraries.longs().between(-2, 1000).map(String::valueOf);
        return Combinators.combine(id, op, channel, json(3), recover, count, Arbitraries.of("true", "false", "1"))
                .as((i, o, ch, data, rec, limit, flag) -> {
                    Map<String, String> m = new LinkedHashMap<>();
                    m.put("id", i);
                    m.put("op", quote(o));
                    switch (o) {
                        case "subscribe" -> {
                            m.put("channel", ch);
                            if (limit.length() % 2 == 0) {
                                m.put("recover", rec);
                            }
                            m.put("joinLeave", flag);
                        }
                        case "publish" -> {
                            m.put("channel", ch);
                            m.put("data", data);
                        }
                        case "history" -> {
                            m.put("channel", ch);
                            m.put("limit", limit);
                            m.put("since", limit);
                        }
                        case "refresh" -> m.put("token", quote("e30.e30." + ch.length()));
                        case "ping" -> {}
                        default -> m.put("channel", ch);
                    }
                    return m;
                });
    }

    private Arbitrary<String> key() {
        return Arbitraries.oneOf(
                Arbitraries.of("id", "op", "channel", "data", "recover", "joinLeave", "limit", "since", "token"),
                Arbitraries.strings().all().ofMaxLength(10));
    }

    /** A field-level change to a command. */
    record Mutation(Kind kind, int at, String key, String value) {
        enum Kind {
            REMOVE,
            RETYPE,
            ADD,
            OP
        }

        void apply(Map<String, String> command) {
            List<String> keys = List.copyOf(command.keySet());
            String existing = keys.isEmpty() ? key : keys.get(at % keys.size());
            switch (kind) {
                case REMOVE -> command.remove(existing);
                case RETYPE -> command.put(existing, value);
                case ADD -> command.put(key, value);
                case OP -> command.put("op", at % 2 == 0 ? quote(key) : value);
            }
        }
    }

    /** A change to the command's text. */
    enum TextMutation {
        NONE,
        NONE2,
        NONE3,
        TRAILING_GARBAGE,
        TRUNCATE,
        INSERT;

        String apply(String text, int at, String garbage) {
            int i = at % (text.length() + 1);
            return switch (this) {
                case NONE, NONE2, NONE3 -> text;
                case TRAILING_GARBAGE -> text + garbage;
                case TRUNCATE -> text.substring(0, i);
                case INSERT -> text.substring(0, i) + garbage + text.substring(i);
            };
        }
    }

    /** Any JSON value up to {@code depth} levels of arrays and objects. */
    private Arbitrary<String> json(int depth) {
        Arbitrary<String> leaf = Arbitraries.oneOf(
                Arbitraries.of("null", "true", "false", "0", "-0", "1.5e300", "-1E-400", "\"\""),
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.doubles().map(d -> Double.isFinite(d) ? String.valueOf(d) : "1e999"),
                Arbitraries.strings().all().ofMaxLength(20).map(HubProtocolFuzzIT::quote));
        if (depth == 0) {
            return leaf;
        }
        Arbitrary<String> array = Arbitraries.lazy(() -> json(depth - 1))
                .list()
                .ofMaxSize(4)
                .map(l -> String.join(",", l))
                .map(s -> "[" + s + "]");
        Arbitrary<String> object = Combinators.combine(key(), Arbitraries.lazy(() -> json(depth - 1)))
                .as((k, v) -> quote(k) + ":" + v)
                .list()
                .ofMaxSize(4)
                .map(l -> "{" + String.join(",", l) + "}");
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, leaf), net.jqwik.api.Tuple.of(1, array), net.jqwik.api.Tuple.of(1, object));
    }

    /** A publish whose data, or a command that is, nested up to 3000 levels (Jackson's limit is 1000). */
    private Arbitrary<Input> deepNesting() {
        return Combinators.combine(Arbitraries.integers().between(1, 3000), Arbitraries.of(true, false))
                .as((depth, inData) -> {
                    String nested = "[".repeat(depth) + "]".repeat(depth);
                    return Input.text(
                            inData
                                    ? "{\"id\":1,\"op\":\"publish\",\"channel\":\"b\",\"data\":" + nested + "}"
                                    : nested);
                });
    }

    /** Numbers past every limit in each numeric place: id, data, offset, limit, since. */
    private Arbitrary<Input> hugeNumbers() {
        Arbitrary<String> number = Arbitraries.oneOf(
                Arbitraries.integers().between(1, 3000).map(n -> "9".repeat(n)),
                Arbitraries.integers().between(1, 3000).map(n -> "-1" + "0".repeat(n)),
                Arbitraries.integers().between(300, 1_000_000_000).map(e -> "1e" + e),
                Arbitraries.integers().between(300, 1_000_000_000).map(e -> "1e-" + e),
                Arbitraries.of("9223372036854775808", "-9223372036854775809", "18446744073709551616", "0.5"));
        return Combinators.combine(number, Arbitraries.integers().between(0, 4))
                .as((v, where) -> Input.text(
                        switch (where) {
                            case 0 -> "{\"id\":" + v + ",\"op\":\"ping\"}";
                            case 1 -> "{\"id\":1,\"op\":\"publish\",\"channel\":\"a\",\"data\":" + v + "}";
                            case 2 ->
                                "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"b\",\"recover\":{\"offset\":" + v
                                        + ",\"epoch\":\"e\"}}";
                            case 3 -> "{\"id\":1,\"op\":\"history\",\"channel\":\"a\",\"limit\":" + v + "}";
                            default -> "{\"id\":1,\"op\":\"history\",\"channel\":\"a\",\"since\":" + v + "}";
                        }));
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
