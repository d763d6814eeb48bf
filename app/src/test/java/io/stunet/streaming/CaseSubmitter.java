package io.stunet.streaming;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.kafka.Outbound;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.records.BlobRef;
import io.stunet.records.CaseIds;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.CaseSubmitted;
import io.stunet.store.BlobKeys;
import io.stunet.store.Digests;
import io.stunet.topics.Topics;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;

/**
 * Test helper that puts a local NIfTI file straight onto {@code stunet.case.submitted} with the
 * records ingest publishes (case id from input sha256, model sha256 and options; RECEIVED then
 * {@link CaseSubmitted}), but without ingest's header check, so that bad inputs reach the
 * preprocess stage and its dead-letter path is exercised.
 */
final class CaseSubmitter {
    private final StreamingRuntime runtime;
    private final String modelSha256;

    CaseSubmitter(StreamingRuntime runtime, String modelSha256) {
        this.runtime = runtime;
        this.modelSha256 = modelSha256;
    }

    /** The case id {@code file} gets with these options (reads the file). */
    String caseId(Path file, Map<String, String> options) {
        return CaseIds.derive(sha256(file), modelSha256, options);
    }

    /** Stores and announces the file; returns its case id. Blocking. */
    String submit(Path file, Map<String, String> options) {
        String caseId = caseId(file, options);
        BlobRef input = runtime.store().putFile(BlobKeys.input(caseId), file);
        CaseSubmitted record = new CaseSubmitted(caseId, input, file.getFileName().toString(), modelSha256, options,
                System.currentTimeMillis());
        // Status first, as the stages do, so the status topic never shows a later state before RECEIVED.
        StageDeployment.await(runtime.publisher().publish(
                Outbound.status(CaseStatus.of(caseId, CaseState.RECEIVED, 0.0, "ingest"))));
        StageDeployment.await(runtime.publisher().publish(Outbound.of(Topics.CASE_SUBMITTED, record)));
        return caseId;
    }

    static String sha256(Path file) {
        MessageDigest md = Digests.sha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot read input file", e);
        }
        return Digests.hex(md);
    }
}
