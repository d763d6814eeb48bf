package io.stunet.ingest;

import io.stunet.kafka.TopicDump;
import io.stunet.records.StunetRecord;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/** The records of a topic that match, read from its beginning ({@link TopicDump}). */
final class TopicReader {
    private TopicReader() {
    }

    /** The matching records, read again until there is one or {@code timeout} has passed. */
    static <T extends StunetRecord> List<T> awaitRecords(String bootstrap, String topic, Class<T> type,
                                                         Predicate<T> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<T> found = readAll(bootstrap, topic, type, match);
        while (found.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            found = readAll(bootstrap, topic, type, match);
        }
        return found;
    }

    /** Every record on a topic up to its end offsets now that matches. */
    static <T extends StunetRecord> List<T> readAll(String bootstrap, String topic, Class<T> type, Predicate<T> match) {
        return TopicDump.read(bootstrap, topic, type).stream().filter(match).toList();
    }
}
