package io.stunet.preprocess;

import io.stunet.model.ModelCard;
import java.util.ArrayList;
import java.util.List;

/**
 * What preprocessing takes from a {@link ModelCard}: the card is the one reader of
 * {@code model.json}, this class only maps its fields onto {@link PreprocessingParameters}.
 */
public final class ModelCardParameters {
    private ModelCardParameters() {
    }

    public static PreprocessingParameters of(ModelCard card) {
        List<NormalizationSpec> norms = new ArrayList<>();
        for (ModelCard.Normalization n : card.normalization()) {
            norms.add(n.scheme() == ModelCard.Scheme.CT
                    ? NormalizationSpec.ct(n.mean(), n.sd(), n.lowerBound(), n.upperBound(), n.useMaskForNorm())
                    : NormalizationSpec.nonCt(n.useMaskForNorm()));
        }
        return new PreprocessingParameters(card.targetSpacingArray(), norms, card.cropToNonzero(),
                card.orientation().json(), card.transposeForwardArray(), card.anisotropyThreshold());
    }
}
