using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using PhiSharp.Models;
using PhiSharp.Models.Phi3Vision;
using Spectre.Console;

namespace PhiSharp.Cli.Commands;

/// <summary>
/// `phi bench`: load time, prompt-processing and generation speed, time to first token and peak resident memory,
/// measured on seeded random token ids (speed does not depend on which ids they are).
/// <para>
/// The protocol is llama-bench's, so that the two compare like with like: a warm-up (the prompt once and one generated
/// token, which here also lets the JIT finish its tiers), then the prompt from an empty cache, then generation from an
/// empty cache, or after <c>--depth</c> tokens that are evaluated but not timed (llama-bench <c>-d</c>).
/// </para>
/// <para>
/// With <c>--image</c> (Phi-3-vision) nothing is warmed up, since the cold time to first token is the figure: the
/// prompt is the image followed by the ids, its decoding, preprocessing and encoding are timed apart from the prompt's
/// evaluation (time to first token is both), and generation follows that prompt.
/// </para>
/// </summary>
static class BenchCommand
{
    public static Command Create()
    {
        var promptTokens = new Option<int>("--prompt-tokens", "-p") { Description = "Prompt length in tokens", DefaultValueFactory = _ => 512 };
        var genTokens = new Option<int>("--gen-tokens", "-n") { Description = "Tokens to generate", DefaultValueFactory = _ => 128 };
        var depth = new Option<int>("--depth", "-d")
        {
            Description = "Generate after this many tokens already in the cache (evaluated before timing, like llama-bench -d)",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: pp_tps, tg_tps, ttft_ms, load_ms, peak_rss_bytes, ..." };
        var image = new Option<FileInfo>("--image")
        {
            Description = "Phi-3-vision: put this image (JPEG, PNG, WebP) before the prompt; reports its tokens and encode time, and time to first token with it",
        };
        var command = new Command("bench", "Measure prompt processing and generation tokens/s, time to first token, load time and peak memory");
        ModelArguments.AddTo(command);
        command.Options.Add(promptTokens);
        command.Options.Add(genTokens);
        command.Options.Add(depth);
        command.Options.Add(json);
        command.Options.Add(image);
        command.SetAction(parse => ModelArguments.Guard(() =>
        {
            int p = parse.GetValue(promptTokens), n = parse.GetValue(genTokens), d = parse.GetValue(depth);
            if (p < 0) throw new ArgumentException("--prompt-tokens must not be negative");
            if (n < 0) throw new ArgumentException("--gen-tokens must not be negative");
            if (d < 0) throw new ArgumentException("--depth must not be negative");
            if (p == 0 && n == 0) throw new ArgumentException("nothing to measure: --prompt-tokens and --gen-tokens are both 0");
            var file = parse.GetValue(image);
            if (file is not null && (p < 1 || d > 0)) throw new ArgumentException("--image needs --prompt-tokens of at least 1 and no --depth");
            var clock = Stopwatch.StartNew();
            using var model = ModelArguments.Load(parse);
            double loadMs = clock.Elapsed.TotalMilliseconds;
            var random = new Random(1234);
            int[] ids = Enumerable.Range(0, Math.Max(p, d)).Select(_ => random.Next(3, model.Network.VocabSize)).ToArray();
            var result = file is null ? MeasureText(parse, model, loadMs, ids, p, n, d) : MeasureImage(parse, model, loadMs, ids[..p], n, file);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result, BenchJson.Options));
            else Print(result);
            return Task.FromResult(0);
        }));
        return command;
    }

    /// <param name="PromptTokens">Every token the prompt evaluates: with an image, its tokens and those of -p.</param>
    /// <param name="TtftMs">From the prompt's ids (and the image file) to the first token's logits.</param>
    /// <param name="Depth">Tokens in the cache before generation: --depth, or with an image the whole prompt.</param>
    sealed record BenchResult(string Model, int Threads, int PromptTokens, int GenTokens, int Depth, double LoadMs, double PpTps,
        double TgTps, double TtftMs, long PeakRssBytes, string Simd, IReadOnlyList<string> CpuFeatures,
        int? ImageTokens = null, double? ImageEncodeMs = null);

    /// <param name="ids">Seeded random token ids (speed does not depend on which): the prompt is the first
    /// <paramref name="promptLength"/>, the untimed context the first <paramref name="depth"/>.</param>
    static BenchResult MeasureText(ParseResult parse, LanguageModel model, double loadMs, int[] ids, int promptLength, int generate, int depth)
    {
        var network = model.Network;
        var prompt = ids[..promptLength];
        var context = ids[..depth];
        int capacity = Math.Max(promptLength, depth + generate);
        if (capacity > network.MaxContextLength)
            throw new ArgumentException($"-p {promptLength}, or --depth {depth} + -n {generate}, exceeds the model's context of {network.MaxContextLength} tokens");
        var logits = new float[network.VocabSize];
        using var session = network.CreateSession(capacity);

        if (promptLength > 0) session.Append(prompt, logits);   // warm-up, as llama-bench does
        if (generate > 0) { session.Truncate(0); session.Append([prompt.FirstOrDefault(3)], logits); }

        double promptSeconds = 0;
        if (promptLength > 0)
        {
            session.Truncate(0);
            var clock = Stopwatch.StartNew();
            session.Append(prompt, logits);
            promptSeconds = clock.Elapsed.TotalSeconds;
        }

        session.Truncate(0);
        if (depth > 0) session.Append(context, logits);
        double genSeconds = Generate(session, generate, depth > 0 ? ArgMax(logits) : prompt.FirstOrDefault(3), logits);

        return new BenchResult(ModelName(parse), Threads(parse), promptLength, generate, depth, loadMs,
            promptLength == 0 ? 0 : promptLength / promptSeconds, generate == 0 ? 0 : generate / genSeconds, promptSeconds * 1000,
            PeakResidentBytes(), KernelTier.Name, KernelTier.CpuFeatures);
    }

    static BenchResult MeasureImage(ParseResult parse, LanguageModel model, double loadMs, int[] text, int generate, FileInfo image)
    {
        var network = model.Network;
        int promptLength = text.Length;
        var logits = new float[network.VocabSize];
        var vision = new Phi3VisionModel(model);

        // The image: decoded, preprocessed (num_crops from the folder's preprocessor_config.json) and encoded, then
        // its placeholders (and BOS, where the tokenizer adds one) before the text ids.
        var clock = Stopwatch.StartNew();
        var prepared = vision.Prepare("<|image_1|>", [ImageDecoder.Decode(image.FullName)]);
        var withImage = new Phi3VisionPrompt { Ids = [.. prepared.Ids, .. text], ImageRows = prepared.ImageRows };
        double encodeMs = clock.Elapsed.TotalMilliseconds;

        int evaluated = withImage.Ids.Length;
        if (evaluated + generate > network.MaxContextLength)
            throw new ArgumentException($"the image's {evaluated - promptLength} tokens + -p {promptLength} + -n {generate} " +
                $"exceeds the model's context of {network.MaxContextLength} tokens");
        using var session = network.CreateSession(evaluated + generate);

        clock.Restart();
        vision.Append(session, withImage, logits);
        double promptSeconds = clock.Elapsed.TotalSeconds;
        double genSeconds = Generate(session, generate, ArgMax(logits), logits);

        return new BenchResult(ModelName(parse), Threads(parse), evaluated, generate, evaluated, loadMs,
            evaluated / promptSeconds, generate == 0 ? 0 : generate / genSeconds, encodeMs + promptSeconds * 1000,
            PeakResidentBytes(), KernelTier.Name, KernelTier.CpuFeatures,
            withImage.Ids.Count(id => id == -1), encodeMs);
    }

    /// <summary>Greedy generation of <paramref name="count"/> tokens, one step each, from <paramref name="next"/>; its seconds.</summary>
    static double Generate(IInferenceSession session, int count, int next, float[] logits)
    {
        var clock = Stopwatch.StartNew();
        var one = new int[1];
        for (int i = 0; i < count; i++)
        {
            one[0] = next;
            session.Append(one, logits);
            next = ArgMax(logits);
        }
        return clock.Elapsed.TotalSeconds;
    }

    static int Threads(ParseResult parse) =>
        parse.GetValue(ModelArguments.Threads) is int t && t > 0 ? t : Environment.ProcessorCount;

    static string ModelName(ParseResult parse) =>
        Path.GetFileName(Path.TrimEndingDirectorySeparator(parse.GetValue(ModelArguments.Model)!));

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
        table.AddRow(r.Depth > 0 ? $"generation ({r.GenTokens} tokens after {r.Depth})" : $"generation ({r.GenTokens} tokens)", $"{r.TgTps:F2} tok/s");
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
