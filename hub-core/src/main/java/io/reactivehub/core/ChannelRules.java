package io.reactivehub.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Channel options by name pattern: the first rule whose pattern matches a channel gives its
 * options; channels no rule matches get the defaults. A pattern is an exact name, a prefix ending
 * in {@code *} ({@code chat:*}), or {@code *} for every channel.
 *
 * <p>Text form (the server's {@code --channel-options}): {@code PATTERN=OPTION,OPTION,...} with the
 * options {@code history:N}, {@code ttl:DURATION} ({@link Durations}),
 * {@code presence} and {@code join-leave} (implies presence), e.g.
 * {@code chat:*=history:100,ttl:10m,presence,join-leave}.
 */
public final class ChannelRules {
    public static final ChannelRules NONE = new ChannelRules(List.of(), ChannelOptions.DEFAULT);

    private final List<Rule> rules;
    private final ChannelOptions defaults;

    private ChannelRules(List<Rule> rules, ChannelOptions defaults) {
        this.rules = List.copyOf(rules);
        this.defaults = defaults;
    }

    /** One pattern and its options. */
    public record Rule(String pattern, ChannelOptions options) {
        public Rule {
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(options, "options");
        }

        boolean matches(String channel) {
            if (pattern.endsWith("*")) {
                return channel.startsWith(pattern.substring(0, pattern.length() - 1));
            }
            return channel.equals(pattern);
        }
    }

    public static ChannelRules of(List<Rule> rules) {
        return new ChannelRules(rules, ChannelOptions.DEFAULT);
    }

    /** Parses rules in their text form, in order; throws IllegalArgumentException saying what is wrong. */
    public static ChannelRules parse(List<String> specs) {
        List<Rule> rules = new ArrayList<>();
        for (String spec : specs) {
            rules.add(parseRule(spec));
        }
        return of(rules);
    }

    static Rule parseRule(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("channel options '" + spec + "': expected PATTERN=OPTION,...");
        }
        String pattern = spec.substring(0, eq).trim();
        String body = pattern.endsWith("*") ? pattern.substring(0, pattern.length() - 1) : pattern;
        if (!body.isEmpty() && !ChannelName.isValid(body)) {
            throw new IllegalArgumentException("channel options '" + spec + "': bad pattern '" + pattern + "'");
        }
        int history = 0;
        Duration ttl = ChannelOptions.DEFAULT.historyTtl();
        boolean presence = false;
        boolean joinLeave = false;
        for (String option : spec.substring(eq + 1).split(",")) {
            String o = option.trim().toLowerCase(Locale.ROOT);
            try {
                if (o.startsWith("history:")) {
                    history = Integer.parseInt(o.substring(8));
                } else if (o.startsWith("ttl:")) {
                    ttl = Durations.parse(o.substring(4));
                } else if (o.equals("presence")) {
                    presence = true;
                } else if (o.equals("join-leave")) {
                    presence = true;
                    joinLeave = true;
                } else if (!o.isEmpty()) {
                    throw new IllegalArgumentException(
                            "unknown option '" + option.trim() + "' (history:N, ttl:DURATION, presence, join-leave)");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("channel options '" + spec + "': bad number in '" + option + "'");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("channel options '" + spec + "': " + e.getMessage());
            }
        }
        try {
            return new Rule(pattern, new ChannelOptions(history, ttl, presence, joinLeave));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("channel options '" + spec + "': " + e.getMessage());
        }
    }

    /** The options of a channel: the first matching rule's, else the defaults. */
    public ChannelOptions optionsFor(ChannelName channel) {
        String name = channel.value();
        for (Rule rule : rules) {
            if (rule.matches(name)) {
                return rule.options();
            }
        }
        return defaults;
    }

    public List<Rule> rules() {
        return rules;
    }

    /** The rules as {@code --channel-options} takes them, e.g. {@code chat:*=history:100,ttl:10m,presence}. */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        for (Rule rule : rules) {
            if (!out.isEmpty()) {
                out.append("; ");
            }
            ChannelOptions o = rule.options();
            out.append(rule.pattern())
                    .append("=history:")
                    .append(o.historySize())
                    .append(",ttl:")
                    .append(Durations.format(o.historyTtl()));
            if (o.presence()) {
                out.append(",presence");
            }
            if (o.joinLeave()) {
                out.append(",join-leave");
            }
        }
        return out.isEmpty() ? "none" : out.toString();
    }
}
