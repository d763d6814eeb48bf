package io.stunet.records;

/**
 * A record that travels on one of the pipeline's Kafka topics. Every record belongs to a
 * case, so consumers can key status updates and dead letters without knowing the concrete
 * type. The wire schema name and version are not components of the record: they live in
 * {@link RecordCodec}, the only place that maps records to and from JSON.
 */
public interface StunetRecord {
    /** The case this record belongs to; {@code null} only for dead letters of unparseable input. */
    String caseId();
}
