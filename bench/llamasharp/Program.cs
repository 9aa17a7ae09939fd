// LLamaSharp 0.30 (llama.cpp through its .NET bindings) measured with llama-bench's protocol, as `phi bench` and
// bench/llamacpp/bench.mjs measure: a warm-up (the prompt and one generated token), the prompt of seeded random token
// ids from an empty cache in batches of 512, then greedy generation from an empty cache or after -d tokens that are not
// timed; prints JSON with the same fields (pp_tps, tg_tps, ttft_ms, load_ms, peak_rss_bytes). The weights are read,
// not mapped (LoadMode None), as PhiSharp reads them.
// Usage: dotnet run -c Release --project bench/llamasharp -- MODEL.gguf [-p 512] [-n 128] [-d 0] [-t 2]
using System.Diagnostics;
using System.Text.Json;
using LLama;
using LLama.Common;
using LLama.Native;

string model = args.Length > 0 ? args[0] : throw new ArgumentException("usage: llamasharp-bench MODEL.gguf [-p 512] [-n 128] [-t 2]");
int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 ? int.Parse(args[i + 1]) : fallback;
int promptTokens = Option("-p", 512), genTokens = Option("-n", 128), depth = Option("-d", 0), threads = Option("-t", 2);
const int Batch = 512;

NativeLibraryConfig.All.WithLogCallback((_, _) => { });
var parameters = new ModelParams(model)
{
    ContextSize = (uint)(Math.Max(promptTokens, depth + genTokens) + 8),
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
int[] RandomIds(int count) => Enumerable.Range(0, count).Select(_ => 3 + (int)Math.Floor(Random() * 31990)).ToArray();
var prompt = RandomIds(promptTokens);

var depthIds = RandomIds(depth);
var batch = new LLamaBatch();
if (promptTokens > 0) Evaluate(prompt);                                  // warm-up, as llama-bench does
if (genTokens > 0) { Clear(); Generate(1, 3); }

double ttftMs = 0;
if (promptTokens > 0)
{
    Clear();
    clock.Restart();
    Evaluate(prompt);
    ttftMs = clock.Elapsed.TotalMilliseconds;
}
Clear();
int first = depth > 0 ? Greedy(Evaluate(depthIds)) : prompt.FirstOrDefault(3);
clock.Restart();
Generate(genTokens, first);
double genMs = clock.Elapsed.TotalMilliseconds;

long peak = long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["engine"] = "LLamaSharp 0.30.0", ["model"] = model, ["threads"] = threads, ["prompt_tokens"] = promptTokens,
    ["gen_tokens"] = genTokens, ["load_ms"] = Math.Round(loadMs), ["pp_tps"] = promptTokens == 0 ? 0 : promptTokens / (ttftMs / 1000),
    ["tg_tps"] = genTokens == 0 ? 0 : genTokens / (genMs / 1000), ["depth"] = depth, ["ttft_ms"] = Math.Round(ttftMs), ["peak_rss_bytes"] = peak,
}));

void Clear() => context.NativeHandle.MemoryClear(true);

// Evaluates ids from position 0 in batches of 512; the batch index of the last one's logits.
int Evaluate(int[] ids)
{
    for (int start = 0; start < ids.Length; start += Batch)
    {
        batch.Clear();
        int end = Math.Min(ids.Length, start + Batch);
        for (int i = start; i < end; i++) batch.Add(ids[i], i, LLamaSeqId.Zero, logits: i == ids.Length - 1);
        Decode();
    }
    return batch.TokenCount - 1;
}

// count greedy steps after the cache's current tokens, starting from token.
void Generate(int count, int token)
{
    int position = context.NativeHandle.MemorySequenceMaxPosition(LLamaSeqId.Zero).Value + 1;
    for (int produced = 0; produced < count; produced++)
    {
        batch.Clear();
        batch.Add(token, position + produced, LLamaSeqId.Zero, logits: true);
        Decode();
        token = Greedy(0);
    }
}

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
