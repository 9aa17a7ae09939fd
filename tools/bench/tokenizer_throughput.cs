// Encode throughput of the byte-level BPE tokenizer on text files, single-threaded: MB (10^6 UTF-8 bytes) per second.
// Compare with tools/reference/tokenizer/throughput.mjs (tiktoken) on the same files; docs/TOKENIZERS.md has figures.
//
// Usage: dotnet run -c Release tools/bench/tokenizer_throughput.cs -- <tiktoken dir> <text file>...
//   <tiktoken dir> holds <name>.tiktoken and <name>.json (pat_str, special_tokens), e.g. shared/fixtures/tokenizers/tiktoken.
#:project ../../src/PhiSharp/PhiSharp.csproj
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using PhiSharp.Tokenizers;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: tokenizer_throughput.cs <tiktoken dir> <text file>...");
    return 2;
}
foreach (string name in new[] { "gpt2", "cl100k_base", "o200k_base" })
{
    using var spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(args[0], name + ".json")));
    var special = spec.RootElement.GetProperty("special_tokens").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
    ByteLevelBpeTokenizer Load() =>
        ByteLevelBpeTokenizer.FromTiktoken(Path.Combine(args[0], name + ".tiktoken"), spec.RootElement.GetProperty("pat_str").GetString()!, special);
    var load = Stopwatch.StartNew();
    var jitWarmUp = Load();
    Console.WriteLine($"{name}: loaded in {load.Elapsed.TotalSeconds:F2} s");
    foreach (string file in args.Skip(1))
    {
        string text = File.ReadAllText(file);
        double megabytes = Encoding.UTF8.GetByteCount(text) / 1e6;
        for (int pass = 0; pass < 3; pass++) jitWarmUp.Encode(text);   // compiled code at its final tier
        // A fresh tokenizer: its word cache starts empty, as a process's first encode does ("first pass", the figure to
        // compare with tiktoken, which has no cache). Then the best of three passes with the cache filled ("warm").
        var tokenizer = Load();
        var clock = Stopwatch.StartNew();
        int tokens = tokenizer.Encode(text).Length;
        double first = clock.Elapsed.TotalSeconds, best = double.MaxValue;
        for (int pass = 0; pass < 3; pass++)
        {
            clock.Restart();
            tokenizer.Encode(text);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"  {Path.GetFileName(file)}: {megabytes:F2} MB, {tokens} tokens, first pass {megabytes / first:F1} MB/s, warm {megabytes / best:F1} MB/s");
    }
}
return 0;
