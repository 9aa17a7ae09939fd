using System.CommandLine;
using System.Diagnostics;
using PhiSharp.Quantization;
using Spectre.Console;

namespace PhiSharp.Cli.Commands;

static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "A GGUF file, or a Hugging Face folder of a Phi-3-family model (Phi-3, 3.5, 4, 4-mini, Phi-3-small)", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "The GGUF file to write", Required = true };
        var type = new Option<string>("--type", "-t")
        {
            Description = $"Target: {string.Join(", ", QuantizationScheme.All.Select(s => s.Name))} (llama.cpp's mixes; q4_k and q6_k are pure)",
            DefaultValueFactory = _ => "q4_k_m",
        };
        var threads = new Option<int>("--threads") { Description = "Encoder threads: 0 (the default) uses every logical core; at most 4 × the cores" }.ThreadCount();
        var command = new Command("quantize", "Write a quantized GGUF file (the same bytes llama.cpp's quantize writes)");
        command.Options.Add(model);
        command.Options.Add(output);
        command.Options.Add(type);
        command.Options.Add(threads);
        command.SetAction((parse, cancel) => ModelArguments.Guard(() =>
        {
            var scheme = QuantizationScheme.Parse(parse.GetValue(type)!);
            var clock = Stopwatch.StartNew();
            string input = parse.GetValue(model)!;
            var result = ProgressDisplay.RunAsync(plain: false, announceEnd: false, progress => Task.Run(() => GgufQuantizer.Quantize(input,
                parse.GetValue(output)!, scheme, new SynchronousProgress(p => progress.Report(new WorkProgress("quantizing",
                    Path.GetFileName(Path.TrimEndingDirectorySeparator(input)), p.ElementsDone, p.ElementsTotal, WorkUnit.Weights))),
                parse.GetValue(threads), cancel))).GetAwaiter().GetResult();
            var types = result.Tensors.GroupBy(t => t.TargetType).OrderBy(g => g.Key)
                .Select(g => $"{PhiSharp.Tensors.GgmlTypeInfo.Name(g.Key)} × {g.Count()}");
            AnsiConsole.WriteLine($"wrote {result.OutputPath}: {result.OutputBytes / 1e9:F3} GB from {result.InputBytes / 1e9:F3} GB of " +
                                  $"weights in {clock.Elapsed.TotalSeconds:F1} s; tensors: {string.Join(", ", types)}");
            return Task.FromResult(0);
        }));
        return command;
    }

    /// <summary>Progress reported on the calling thread (System.Progress would post to the thread pool, out of order).</summary>
    sealed class SynchronousProgress(Action<QuantizeProgress> report) : IProgress<QuantizeProgress>
    {
        public void Report(QuantizeProgress value) => report(value);
    }
}
