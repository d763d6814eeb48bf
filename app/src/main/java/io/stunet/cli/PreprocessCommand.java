package io.stunet.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.nifti.NiftiWriter;
import io.stunet.model.ModelCard;
import io.stunet.preprocess.ModelCardParameters;
import io.stunet.preprocess.NormalizationSpec;
import io.stunet.preprocess.PreprocessedCase;
import io.stunet.preprocess.PreprocessingParameters;
import io.stunet.preprocess.Preprocessor;
import io.stunet.preprocess.ResamplingRules;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code stunet preprocess}: runs the preprocessing of NUMERICS §1-2 on one NIfTI file and
 * writes the network input as a float32 NIfTI (on the resampled, cropped, reoriented grid)
 * plus the properties JSON that export needs. Parameters come from a model directory or from
 * {@code --spacing}/{@code --norm}.
 */
@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = "Reorient, crop, resample and normalize one NIfTI file as STU-Net/nnU-Net v1 does.")
public final class PreprocessCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Input NIfTI (.nii or .nii.gz).")
    Path file;

    @Option(names = "--model", paramLabel = "DIR", description = "Model directory (model.json).")
    Path model;

    @Option(names = "--spacing", paramLabel = "SZ,SY,SX", split = ",",
            description = "Target spacing in mm, (z, y, x) order.")
    double[] spacing;

    @Option(names = "--norm", paramLabel = "nonCT|CT", description = "Normalization scheme (with --spacing).")
    String norm;

    @Option(names = "--ct-mean", description = "CT dataset mean.")
    Double ctMean;

    @Option(names = "--ct-sd", description = "CT dataset standard deviation.")
    Double ctSd;

    @Option(names = "--ct-lower", description = "CT lower clip bound (percentile 0.5).")
    Double ctLower;

    @Option(names = "--ct-upper", description = "CT upper clip bound (percentile 99.5).")
    Double ctUpper;

    @Option(names = "--mask-for-norm", description = "Normalize only inside the nonzero mask (with --spacing).")
    boolean maskForNorm;

    @Option(names = "--orientation", paramLabel = "RAS|none", defaultValue = "RAS",
            description = "Reorient to closest canonical RAS+ or keep the stored order (with --spacing; default ${DEFAULT-VALUE}).")
    String orientation;

    @Option(names = "--out", required = true, paramLabel = "OUT.nii.gz", description = "Preprocessed float32 NIfTI.")
    Path out;

    @Option(names = "--props", paramLabel = "OUT.json",
            description = "Properties JSON (default: OUT with .json instead of .nii[.gz]).")
    Path props;

    @Override
    public Integer call() throws IOException {
        PreprocessingParameters params = parameters();
        long t0 = System.nanoTime();
        Volume volume = NiftiReader.read(file);
        long t1 = System.nanoTime();
        PreprocessedCase c = new Preprocessor(params).run(volume);
        long t2 = System.nanoTime();
        PreprocessingProperties p = c.properties();
        int[] s = p.resampledShape();
        NiftiHeader h = NiftiHeader.forGrid(s[2], s[1], s[0], Preprocessor.networkAffine(p), DataType.FLOAT32);
        if (c.channels() == 1) {
            NiftiWriter.writeFloat32(out, c.data(), h);
        } else {
            NiftiWriter.write(out, Volume.wrap(h.withShape(s[2], s[1], s[0], c.channels()), c.data()));
        }
        Path propsPath = props != null ? props : defaultPropsPath(out);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(propsPath.toFile(), p);
        long t3 = System.nanoTime();
        spec.commandLine().getOut().printf(Locale.ROOT,
                "preprocessed %s -> %s: shape (z,y,x) %s -> crop %s -> %s%s; read %.2f s, preprocess %.2f s, write %.2f s%n",
                file.getFileName(), out.getFileName(), Arrays.toString(p.shapeBeforeCrop()),
                Arrays.toString(p.shapeAfterCrop()), Arrays.toString(s),
                p.separateZ() ? " (separate z, axis " + p.lowResAxis() + ")" : "",
                (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9);
        return 0;
    }

    PreprocessingParameters parameters() {
        if ((model == null) == (spacing == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give either --model DIR or --spacing SZ,SY,SX");
        }
        if (model != null) {
            // preprocessing never touches the weights, so skip hashing them
            return ModelCardParameters.of(ModelCard.load(model, false));
        }
        if (spacing.length != 3) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--spacing needs three values (z, y, x)");
        }
        if (norm == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--spacing needs --norm nonCT|CT");
        }
        NormalizationSpec n;
        try {
            if (NormalizationSpec.CT.equals(norm)) {
                if (ctMean == null || ctSd == null || ctLower == null || ctUpper == null) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--norm CT needs --ct-mean, --ct-sd, --ct-lower and --ct-upper");
                }
                n = NormalizationSpec.ct(ctMean, ctSd, ctLower, ctUpper, maskForNorm);
            } else {
                n = new NormalizationSpec(norm, maskForNorm, 0, 1, 0, 0);
            }
            return new PreprocessingParameters(spacing, List.of(n), true, orientation, new int[] {0, 1, 2},
                    ResamplingRules.DEFAULT_ANISOTROPY_THRESHOLD);
        } catch (IllegalArgumentException e) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, e.getMessage(), e);
        }
    }

    static Path defaultPropsPath(Path out) {
        String name = out.getFileName().toString();
        String stem = name.replaceFirst("(?i)\\.nii(\\.gz)?$", "");
        return out.resolveSibling(stem + ".json");
    }
}
