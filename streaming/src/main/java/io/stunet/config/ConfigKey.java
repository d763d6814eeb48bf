package io.stunet.config;

import java.util.Locale;
import java.util.Objects;

/**
 * One configuration key: its dotted name, type, default (as text, empty for "unset"), the
 * smallest value allowed for numbers, and the sentence that documents it. The environment
 * variable that overrides it is derived from the name ({@code kafka.bootstrap} ->
 * {@code STUNET_KAFKA_BOOTSTRAP}).
 */
public record ConfigKey(String name, Type type, String defaultValue, long min, boolean secret, String doc) {
    /** Value types; numbers are checked against {@link #min}. */
    public enum Type { STRING, INT, BOOLEAN, PATH }

    public ConfigKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(defaultValue, "defaultValue");
        Objects.requireNonNull(doc, "doc");
    }

    /** {@code STUNET_} + the name in upper case with dots and dashes as underscores. */
    public String envName() {
        return "STUNET_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
