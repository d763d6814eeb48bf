package io.stunet.postprocess;

import io.stunet.stats.StatsReport;

import java.util.List;
import java.util.Optional;

/**
 * What {@link CaseFinisher#finish} produced: the case's output artifacts in writing order
 * and the statistics they were built from (for summaries, e.g. the classes present).
 */
public record FinishedCase(List<CaseArtifact> artifacts, StatsReport stats) {
    public FinishedCase {
        artifacts = List.copyOf(artifacts);
    }

    /** The artifact of a kind, if the case has one. */
    public Optional<CaseArtifact> artifact(CaseArtifact.Kind kind) {
        return artifacts.stream().filter(a -> a.kind() == kind).findFirst();
    }
}
