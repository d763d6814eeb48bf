package io.stunet.bench;

import io.stunet.bench.InferBench;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code stunet bench infer ...}: the inference benchmarks of {@link InferBench} (overhead
 * against bare forward passes, peak RSS against volume length, throughput against batch size
 * and devices, and the 105-class case against the official aggregation), each scenario in a
 * child JVM so its peak RSS is its own. Arguments are passed through unchanged.
 */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = "Inference engine vs the official nnU-Net v1 aggregation (run 'bench infer all').")
public final class BenchInferCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ARGS", description = "all [--work DIR] [--quick] [--parts predict,overhead,demo,stunet,throughput,length] [--rounds N] [--classes N] [--slices A,B,C] [--side N] [--heap 2200m] [--jvm OPTIONS] [--longHeap 10g] | case ... | net ... | volume ...")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        return InferBench.run(args, System.out);
    }
}
