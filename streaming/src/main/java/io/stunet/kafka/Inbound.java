package io.stunet.kafka;

/**
 * A decoded record handed to a stage, with where it came from (for logs and dead letters)
 * and which attempt this is ({@code 1} the first time, higher on retries after a retriable
 * failure).
 */
public record Inbound<T>(T value, String key, String topic, int partition, long offset, int attempt) {
}
