// LLamaSharp 0.30 (llama.cpp through its .NET bindings) measured the way `phi bench` and bench/llamacpp/bench.mjs
// measure: a prompt of the same seeded random token ids, decoded in batches of 512, then greedy generation; prints
// JSON with the same fields (pp_tps, tg_tps, ttft_ms, load_ms, peak_rss_bytes). The weights are read, not mapped
// (LoadMode None), as PhiSharp reads them.
// Usage: dotnet run -c Release --project bench/llamasharp -- MODEL.gguf [-p 512] [-n 128] [-t 2]
using System.Diagnostics;
using System.Text.Json;
using LLama;
using LLama.Common;
using LLama.Native;

string model = args.Length > 0 ? args[0] : throw new ArgumentException("usage: llamasharp-bench MODEL.gguf [-p 512] [-n 128] [-t 2]");
int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 ? int.Parse(args[i + 1]) : fallback;
int promptTokens = Option("-p", 512), genTokens = Option("-n", 128), threads = Option("-t", 2);
const int Batch = 512;

NativeLibraryConfig.All.WithLogCallback((_, _) => { });
var parameters = new ModelParams(model)
{
    ContextSize = (uint)(promptTokens + genTokens + 8),
    BatchSize = Batch,
    UBatchSize = Batch,
    Threads = threads,
    BatchThreads = threads,
    GpuLayerCount = 0,
    LoadMode = LLamaLoadMode.None,
};
var clock = Stopwatch.StartNew();
using var weights = LLamaWeights.LoadFromFile(parameters);
double loadMs = clock.Elapsed.TotalMilliseconds;
using var context = weights.CreateContext(parameters);

// The prompt bench.mjs sends: the same linear congruential generator and token range.
long seed = 42;
double Random() => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648.0;
var prompt = Enumerable.Range(0, promptTokens).Select(_ => 3 + (int)Math.Floor(Random() * 31990)).ToArray();

var batch = new LLamaBatch();
clock.Restart();
for (int start = 0; start < prompt.Length; start += Batch)
{
    batch.Clear();
    int end = Math.Min(prompt.Length, start + Batch);
    for (int i = start; i < end; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, logits: i == prompt.Length - 1);
    Decode();
}
int token = Greedy(batch.TokenCount - 1);
double ttftMs = clock.Elapsed.TotalMilliseconds;
for (int produced = 0; produced < genTokens; produced++)
{
    batch.Clear();
    batch.Add(token, promptTokens + produced, LLamaSeqId.Zero, logits: true);
    Decode();
    token = Greedy(0);
}
double genMs = clock.Elapsed.TotalMilliseconds - ttftMs;

long peak = long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["engine"] = "LLamaSharp 0.30.0", ["model"] = model, ["threads"] = threads, ["prompt_tokens"] = promptTokens,
    ["gen_tokens"] = genTokens, ["load_ms"] = Math.Round(loadMs), ["pp_tps"] = promptTokens / (ttftMs / 1000),
    ["tg_tps"] = genTokens / (genMs / 1000), ["ttft_ms"] = Math.Round(ttftMs), ["peak_rss_bytes"] = peak,
}));

void Decode()
{
    var result = context.Decode(batch);
    if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode: {result}");
}

int Greedy(int index)
{
    var logits = context.NativeHandle.GetLogitsIth(index);
    int best = 0;
    for (int i = 1; i < logits.Length; i++)
        if (logits[i] > logits[best]) best = i;
    return best;
}
