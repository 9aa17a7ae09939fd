using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using PhiSharp.Models.Phi3Vision;
using Spectre.Console;

namespace PhiSharp.Cli.Commands;

/// <summary>
/// `phi bench`: load time, prompt-processing and generation speed, time to first token and peak resident memory,
/// measured on seeded random token ids (speed does not depend on which ids they are). With <c>--image</c> (Phi-3-vision)
/// the prompt is the image followed by those ids, and the image's decoding, preprocessing and encoding are timed apart
/// from the prompt's evaluation: time to first token is both.
/// </summary>
static class BenchCommand
{
    public static Command Create()
    {
        var promptTokens = new Option<int>("--prompt-tokens", "-p") { Description = "Prompt length in tokens", DefaultValueFactory = _ => 512 };
        var genTokens = new Option<int>("--gen-tokens", "-n") { Description = "Tokens to generate", DefaultValueFactory = _ => 128 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: pp_tps, tg_tps, ttft_ms, load_ms, peak_rss_bytes, ..." };
        var image = new Option<FileInfo>("--image")
        {
            Description = "Phi-3-vision: put this image (JPEG, PNG, WebP) before the prompt; reports its tokens and encode time, and time to first token with it",
        };
        var command = new Command("bench", "Measure prompt processing and generation tokens/s, time to first token, load time and peak memory");
        ModelArguments.AddTo(command);
        command.Options.Add(promptTokens);
        command.Options.Add(genTokens);
        command.Options.Add(json);
        command.Options.Add(image);
        command.SetAction(parse => ModelArguments.Guard(() =>
        {
            int p = parse.GetValue(promptTokens), n = parse.GetValue(genTokens);
            if (p < 1) throw new ArgumentException("--prompt-tokens must be at least 1");
            if (n < 0) throw new ArgumentException("--gen-tokens must not be negative");
            var result = Measure(parse, p, n, parse.GetValue(image));
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result, BenchJson.Options));
            else Print(result);
            return Task.FromResult(0);
        }));
        return command;
    }

    /// <param name="PromptTokens">Every token the prompt evaluates: with an image, its tokens and those of -p.</param>
    /// <param name="TtftMs">From the prompt's ids (and the image file) to the first token's logits.</param>
    sealed record BenchResult(string Model, int Threads, int PromptTokens, int GenTokens, double LoadMs, double PpTps,
        double TgTps, double TtftMs, long PeakRssBytes, string Simd, IReadOnlyList<string> CpuFeatures,
        int? ImageTokens = null, double? ImageEncodeMs = null);

    static BenchResult Measure(ParseResult parse, int promptLength, int generate, FileInfo? image)
    {
        var clock = Stopwatch.StartNew();
        using var model = ModelArguments.Load(parse);
        double loadMs = clock.Elapsed.TotalMilliseconds;

        var network = model.Network;
        var random = new Random(1234);
        var text = Enumerable.Range(0, promptLength).Select(_ => random.Next(3, network.VocabSize)).ToArray();
        var logits = new float[network.VocabSize];
        var vision = image is null ? null : new Phi3VisionModel(model);

        // The image: decoded, preprocessed (num_crops from the folder's preprocessor_config.json) and encoded, then
        // its placeholders (and BOS, where the tokenizer adds one) before the text ids.
        clock.Restart();
        var withImage = vision?.Prepare("<|image_1|>", [ImageDecoder.Decode(image!.FullName)]) is { } prepared
            ? new Phi3VisionPrompt { Ids = [.. prepared.Ids, .. text], ImageRows = prepared.ImageRows }
            : null;
        double encodeMs = clock.Elapsed.TotalMilliseconds;

        int evaluated = withImage?.Ids.Length ?? promptLength;
        if (evaluated + generate > network.MaxContextLength)
            throw new ArgumentException($"{(withImage is null ? "" : $"the image's {evaluated - promptLength} tokens + ")}-p {promptLength} + -n {generate} " +
                $"exceeds the model's context of {network.MaxContextLength} tokens");
        using var session = network.CreateSession(evaluated + generate);

        clock.Restart();
        if (withImage is null) session.Append(text, logits);
        else vision!.Append(session, withImage, logits);
        int next = ArgMax(logits);
        double promptSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var one = new int[1];
        for (int i = 0; i < generate; i++)
        {
            one[0] = next;
            session.Append(one, logits);
            next = ArgMax(logits);
        }
        double genSeconds = clock.Elapsed.TotalSeconds;

        int threads = parse.GetValue(ModelArguments.Threads) is int t && t > 0 ? t : Environment.ProcessorCount;
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(parse.GetValue(ModelArguments.Model)!));
        return new BenchResult(name, threads, evaluated, generate, loadMs,
            evaluated / promptSeconds, generate == 0 ? 0 : generate / genSeconds, (withImage is null ? 0 : encodeMs) + promptSeconds * 1000,
            PeakResidentBytes(), KernelTier.Name, KernelTier.CpuFeatures,
            withImage?.Ids.Count(id => id == -1), withImage is null ? null : encodeMs);
    }

    static int ArgMax(ReadOnlySpan<float> values) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(values);

    /// <summary>The process's high-water resident set (VmHWM on Linux: mapped weight pages touched count, as for llama.cpp).</summary>
    static long PeakResidentBytes()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            foreach (string line in File.ReadLines(status))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)
                    && long.TryParse(line[6..].Trim().Split(' ')[0], out long kb))
                    return kb * 1024;
        }
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }

    static void Print(BenchResult r)
    {
        var table = new Table().AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("model", Markup.Escape(r.Model));
        table.AddRow("threads", r.Threads.ToString());
        table.AddRow("kernels", $"{r.Simd} ({string.Join(" ", r.CpuFeatures)})");
        table.AddRow("load", $"{r.LoadMs:F0} ms");
        if (r.ImageTokens is int imageTokens) table.AddRow($"image encoding ({imageTokens} tokens)", $"{r.ImageEncodeMs:F0} ms");
        table.AddRow($"prompt processing ({r.PromptTokens} tokens)", $"{r.PpTps:F2} tok/s");
        table.AddRow($"generation ({r.GenTokens} tokens)", $"{r.TgTps:F2} tok/s");
        table.AddRow("time to first token", $"{r.TtftMs:F0} ms");
        table.AddRow("peak resident memory", $"{r.PeakRssBytes / (1024.0 * 1024):F0} MiB");
        AnsiConsole.Write(table);
    }

    static class BenchJson
    {
        public static readonly JsonSerializerOptions Options = new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,   // the image fields, without --image
        };
    }
}
