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
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Random and mutated hub-protocol input on {@code /hub} of one real server: valid commands with
 * fields removed, retyped, added or renamed, random JSON values, random text and bytes, deep
 * nesting, huge numbers, trailing garbage. Every input gets exactly one reply, an {@code ok} or an
 * error whose code is in the README's table; the connection then still answers a ping;
 * a bystander on another connection still gets what is published; nothing is logged at ERROR and
 * no buffer leaks. Seeded random input ({@link Fuzz}): 500 tries, each named by its seed, which a
 * failure prints; {@code -Dfuzz.seed=<seed> -Dfuzz.tries=1} runs that input again.
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

    @BeforeAll
    static void start() throws IOException {
        fixture = new ServerFixture(ServerConfig.DEFAULT);
        watch = new FuzzWatch();
        // On channel "a", which the fuzzed commands also publish to: it gets their pushes too.
        bystander = WsTestClient.connect(fixture.port(), "/hub");
        bystander.readTimeout(TIMEOUT_MS);
        bystander.sendText("{\"id\":\"join\",\"op\":\"subscribe\",\"channel\":\"a\"}");
        assertThat(JSON.readTree(bystander.readText()).path("ok").asBoolean()).isTrue();
    }

    @AfterAll
    static void stop() throws IOException {
        bystander.close();
        watch.close();
        fixture.close();
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

    @TestFactory
    Stream<DynamicTest> everyInputIsAnsweredWithADocumentedReplyAndTheConnectionStaysUsable() {
        return Stream.concat(
                Fuzz.tries(500, HubProtocolFuzzIT::session, HubProtocolFuzzIT::everyInputIsAnswered),
                Stream.of(DynamicTest.dynamicTest(
                        "no buffer leaked", () -> watch.assertNoLeaks("the hub-protocol fuzz"))));
    }

    private static void everyInputIsAnswered(int n, List<Input> inputs) throws IOException {
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

    /** One to eight inputs, each of one kind, mutated commands the most often. */
    static List<Input> session(Fuzz f) {
        return f.list(1, 8, () -> switch (f.weighted(10, 3, 2, 2, 2, 2)) {
            case 0 -> mutatedCommand(f);
            case 1 -> Input.text(json(f, 3));
            case 2 -> Input.text(f.anyChars(0, 60));
            case 3 -> new Input("", f.bytes(0, 200), true);
            case 4 -> deepNesting(f);
            default -> hugeNumbers(f);
        });
    }

    /** A valid command, then up to three field mutations, then maybe a textual one. */
    private static Input mutatedCommand(Fuzz f) {
        Map<String, String> command = new LinkedHashMap<>(command(f));
        for (Mutation m : f.list(
                0, 3, () -> new Mutation(f.pick(Mutation.Kind.values()), f.between(0, 1000), key(f), json(f, 2)))) {
            m.apply(command);
        }
        TextMutation textMutation = f.pick(TextMutation.values());
        return Input.text(textMutation.apply(render(command), f.between(0, 1000), f.anyChars(1, 8)));
    }

    private static String render(Map<String, String> fields) {
        return fields.entrySet().stream()
                .map(e -> quote(e.getKey()) + ":" + e.getValue())
                .collect(Collectors.joining(",", "{", "}"));
    }

    /** One of the documented commands with valid (or nearly valid) fields, as key to raw JSON. */
    private static Map<String, String> command(Fuzz f) {
        String i = switch (f.weighted(1, 1, 1)) {
            case 0 -> String.valueOf(f.between(Integer.MIN_VALUE, Integer.MAX_VALUE));
            case 1 -> quote(f.alpha(6));
            default -> "null";
        };
        String o = f.pick("subscribe", "unsubscribe", "publish", "history", "presence", "ping", "refresh");
        String ch = f.bool() ? quote(f.pick(CHANNELS)) : quote(f.anyChars(0, 140));
        String data = json(f, 3);
        String rec = "{\"offset\":" + f.between(-2L, 1_000_000L) + ",\"epoch\":" + quote(f.alpha(6)) + "}";
        String limit = String.valueOf(f.between(-2L, 1000L));
        String flag = f.pick("true", "false", "1");
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
    }

    private static String key(Fuzz f) {
        return f.bool()
                ? f.pick("id", "op", "channel", "data", "recover", "joinLeave", "limit", "since", "token")
                : f.anyChars(0, 10);
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
    private static String json(Fuzz f, int depth) {
        int kind = depth == 0 ? 0 : f.weighted(4, 1, 1);
        return switch (kind) {
            case 0 ->
                switch (f.weighted(1, 1, 1, 1)) {
                    case 0 -> f.pick("null", "true", "false", "0", "-0", "1.5e300", "-1E-400", "\"\"");
                    case 1 -> String.valueOf(f.anyLong());
                    case 2 -> {
                        double d = f.anyDouble();
                        yield Double.isFinite(d) ? String.valueOf(d) : "1e999";
                    }
                    default -> quote(f.anyChars(0, 20));
                };
            case 1 -> "[" + String.join(",", f.list(0, 4, () -> json(f, depth - 1))) + "]";
            default -> "{" + String.join(",", f.list(0, 4, () -> quote(key(f)) + ":" + json(f, depth - 1))) + "}";
        };
    }

    /** A publish whose data, or a command that is, nested up to 3000 levels (Jackson's limit is 1000). */
    private static Input deepNesting(Fuzz f) {
        int depth = f.between(1, 3000);
        String nested = "[".repeat(depth) + "]".repeat(depth);
        return Input.text(
                f.bool() ? "{\"id\":1,\"op\":\"publish\",\"channel\":\"b\",\"data\":" + nested + "}" : nested);
    }

    /** Numbers past every limit in each numeric place: id, data, offset, limit, since. */
    private static Input hugeNumbers(Fuzz f) {
        String v = switch (f.weighted(1, 1, 1, 1, 1)) {
            case 0 -> "9".repeat(f.between(1, 3000));
            case 1 -> "-1" + "0".repeat(f.between(1, 3000));
            case 2 -> "1e" + f.between(300, 1_000_000_000);
            case 3 -> "1e-" + f.between(300, 1_000_000_000);
            default -> f.pick("9223372036854775808", "-9223372036854775809", "18446744073709551616", "0.5");
        };
        return Input.text(
                switch (f.between(0, 4)) {
                    case 0 -> "{\"id\":" + v + ",\"op\":\"ping\"}";
                    case 1 -> "{\"id\":1,\"op\":\"publish\",\"channel\":\"a\",\"data\":" + v + "}";
                    case 2 ->
                        "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"b\",\"recover\":{\"offset\":" + v
                                + ",\"epoch\":\"e\"}}";
                    case 3 -> "{\"id\":1,\"op\":\"history\",\"channel\":\"a\",\"limit\":" + v + "}";
                    default -> "{\"id\":1,\"op\":\"history\",\"channel\":\"a\",\"since\":" + v + "}";
                });
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
