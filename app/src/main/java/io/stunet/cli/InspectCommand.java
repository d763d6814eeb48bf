package io.stunet.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.stunet.geometry.Affine;
import io.stunet.geometry.AxisOrientation;
import io.stunet.geometry.Reorientation;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.volume.Volume;
import io.stunet.volume.VolumeStatistics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code stunet inspect FILE [--json]}: header, geometry (affine, axis codes, closest
 * canonical grid) and a summary of the scaled voxel values of a NIfTI file, as nibabel
 * would report them. With {@code --json} it prints exactly one JSON object.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print a NIfTI file's header, geometry and intensity summary.")
public final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = ".nii, .nii.gz, .hdr or .img")
    Path file;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Option(names = "--max-voxels", paramLabel = "N",
            description = "Refuse files declaring more voxels than this (default: ${DEFAULT-VALUE}).")
    long maxVoxels = NiftiReader.DEFAULT_MAX_VOXELS;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Volume v = NiftiReader.read(file, NiftiReader.Options.defaults().withMaxVoxels(maxVoxels));
        Map<String, Object> report = report(v);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
            out.println(mapper.writeValueAsString(report));
        } else {
            printText(out, v, report);
        }
        out.flush();
        return 0;
    }

    /** The {@code --json} object: keys and meanings follow nibabel (shape and spacing in (x, y, z) order). */
    static Map<String, Object> report(Volume v) {
        NiftiHeader h = v.header();
        Affine affine = v.affine();
        VolumeStatistics stats = VolumeStatistics.of(v);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", h.format().label());
        m.put("shape", v.shape());
        m.put("datatype", v.dataType().numpyName());
        m.put("spacing", v.spacing());
        m.put("affine", affine.toRows());
        m.put("axcodes", affine.axcodes());
        m.put("qform_code", h.qformCode());
        m.put("sform_code", h.sformCode());
        m.put("min", stats.min());
        m.put("max", stats.max());
        m.put("mean", stats.mean());
        m.put("sum", stats.sum());
        if (AxisOrientation.of(affine).isDetermined()) {
            Reorientation r = Reorientation.toClosestCanonical(affine, v.nx(), v.ny(), v.nz());
            int[] shape = v.shape();
            System.arraycopy(r.outputShapeXyz(), 0, shape, 0, Math.min(3, shape.length));
            m.put("canonical_shape", shape);
            m.put("canonical_affine", r.outputAffine().toRows());
        } else {
            m.put("canonical_shape", null);
            m.put("canonical_affine", null);
        }
        return m;
    }

    private void printText(PrintWriter out, Volume v, Map<String, Object> r) {
        NiftiHeader h = v.header();
        String order = h.byteOrder().toString().toLowerCase(Locale.ROOT).replace('_', '-');
        out.printf("file          %s%n", file.getFileName());
        out.printf("format        %s (%s)%n", r.get("format"), order);
        out.printf("shape         %s%n", join(v.shape()));
        out.printf("datatype      %s%s%n", r.get("datatype"), h.hasScaling()
                ? String.format(Locale.ROOT, " (scl_slope %s, scl_inter %s)", num(h.sclSlope()), num(h.sclInter()))
                : "");
        double[] s = v.spacing();
        out.printf("spacing       %s x %s x %s%s%n", num(s[0]), num(s[1]), num(s[2]), units(h.xyztUnits()));
        out.printf("axcodes       %s%n", r.get("axcodes"));
        out.printf("qform_code    %d%n", h.qformCode());
        out.printf("sform_code    %d%n", h.sformCode());
        out.printf("affine        %s%n", rows(v.affine().toRows(), "              "));
        if (r.get("canonical_shape") != null) {
            out.printf("canonical     %s%n", join((int[]) r.get("canonical_shape")));
            out.printf("canon. affine %s%n", rows((double[][]) r.get("canonical_affine"), "              "));
        } else {
            out.println("canonical     undefined (degenerate affine)");
        }
        out.printf("min / max     %s / %s%n", num((double) r.get("min")), num((double) r.get("max")));
        out.printf("mean          %s%n", num((double) r.get("mean")));
        out.printf("sum           %s%n", num((double) r.get("sum")));
        if (!h.descrip().isEmpty()) {
            out.printf("descrip       %s%n", h.descrip());
        }
    }

    private static String units(int xyzt) {
        return switch (xyzt & 7) {
            case 1 -> " m";
            case 2 -> " mm";
            case 3 -> " um";
            default -> "";
        };
    }

    private static String join(int[] a) {
        return String.join(" x ", Arrays.stream(a).mapToObj(Integer::toString).toArray(String[]::new));
    }

    private static String rows(double[][] m, String indent) {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < m.length; r++) {
            if (r > 0) {
                sb.append(System.lineSeparator()).append(indent);
            }
            for (int c = 0; c < m[r].length; c++) {
                sb.append(String.format(Locale.ROOT, "%12.5f", m[r][c]));
            }
        }
        return sb.toString();
    }

    private static String num(double x) {
        if (x == Math.rint(x) && Math.abs(x) < 1e15) {
            return Long.toString((long) x);
        }
        return String.format(Locale.ROOT, "%.6g", x);
    }
}
