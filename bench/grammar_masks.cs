// Cost of constrained decoding per token, for the 32k (Phi-3), 100k (cl100k) and 200k (o200k, Phi-4-mini) vocabularies:
//     dotnet run -c Release bench/grammar_masks.cs -- PHI3_TOKENIZER_JSON TIKTOKEN_DIR [tokens = 256] [runs = 20]
// A stand-in network returns fresh random logits each step (so the sampled tokens wander through the grammar as a
// rambling model's would, through long string tokens and nesting), and greedy decoding picks among them. Each run is
// a new request: its grammar matcher starts cold. The same runs without a grammar give the baseline; the difference
// per token is what the constraint costs (mask over the vocabulary trie, applying it, advancing the matcher).
#:project ../src/PhiSharp/PhiSharp.csproj
using System.Diagnostics;
using System.Text.Json;
using PhiSharp.Generation;
using PhiSharp.Generation.Constraints;
using PhiSharp.Models;
using PhiSharp.Tokenizers;

string phi3 = args[0], tiktoken = args[1];
int tokens = args.Length > 2 ? int.Parse(args[2]) : 256;
int runs = args.Length > 3 ? int.Parse(args[3]) : 20;

ByteLevelBpeTokenizer Tiktoken(string name)
{
    using var spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(tiktoken, name + ".json")));
    var special = spec.RootElement.GetProperty("special_tokens").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
    return ByteLevelBpeTokenizer.FromTiktoken(Path.Combine(tiktoken, name + ".tiktoken"), spec.RootElement.GetProperty("pat_str").GetString()!, special);
}

var grammars = new (string Name, Grammar Grammar)[]
{
    ("json_object", JsonSchemaGrammar.AnyJsonObject),
    ("schema", JsonSchemaGrammar.FromSchema("""
        {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0,"maximum":150},
         "tags":{"type":"array","items":{"type":"string"}},"address":{"type":"object","properties":{"city":{"type":"string"},
         "zip":{"type":["string","null"]}},"required":["city"]}},"required":["name","age","tags"]}
        """)),
};
Console.WriteLine($"{tokens} tokens per run, {runs} runs; per-token cost of the constraint (constrained − unconstrained): mean / worst run's mean / first token");
foreach (var (vocabName, tokenizer) in new (string, ITokenizer)[]
{
    ("phi3 32k", SentencePieceBpeTokenizer.FromTokenizerJson(phi3)),
    ("cl100k", Tiktoken("cl100k_base")),
    ("o200k", Tiktoken("o200k_base")),
})
{
    var network = new RandomLogits(tokenizer.VocabSize);
    int end = tokenizer.EosIds.Count > 0 ? tokenizer.EosIds[0] : tokenizer.VocabSize - 1;
    var generator = new Generator(network, tokenizer, [end]);
    var watch = Stopwatch.StartNew();
    generator.ShortestCompletion(grammars[0].Grammar);   // builds the vocabulary trie once per tokenizer
    Console.WriteLine($"{vocabName}: vocabulary trie built in {watch.Elapsed.TotalMilliseconds:F0} ms");
    foreach (var (name, grammar) in grammars)
    {
        double slowest = 0;   // the slowest single token of any constrained run (a state's first, uncached mask)
        double Run(Grammar? g, ulong seed, out double first, out int count)
        {
            network.Seed = seed;
            var options = new GenerationOptions { MaxTokens = tokens, Grammar = g };
            var clock = Stopwatch.StartNew();
            first = -1;
            count = 0;
            double previous = 0;
            foreach (var _ in generator.Generate([1, 2, 3], options))
            {
                double now = clock.Elapsed.TotalMilliseconds;
                if (first < 0) first = now;
                else if (g is not null) slowest = Math.Max(slowest, now - previous);
                previous = now;
                count++;
            }
            return clock.Elapsed.TotalMilliseconds;
        }
        Run(grammar, 999, out _, out _);   // JIT
        Run(null, 999, out _, out _);
        slowest = 0;
        double sum = 0, worst = 0, firstSum = 0;
        int total = 0;
        for (int r = 0; r < runs; r++)
        {
            double constrained = Run(grammar, (ulong)r, out double first, out int n);
            double plain = Run(null, (ulong)r, out double plainFirst, out int m);
            double perToken = constrained / n - plain / m;
            sum += perToken * n;
            total += n;
            worst = Math.Max(worst, perToken);
            firstSum += first - plainFirst;
        }
        Console.WriteLine($"  {name,-12} {sum / total,7:F3} ms / {worst,7:F3} ms / {firstSum / runs,7:F3} ms; slowest token {slowest,6:F2} ms (network included)   ({total / runs} tokens per run on average)");
    }
}

/// <summary>A network whose logits are random numbers, fresh at each step.</summary>
sealed class RandomLogits(int vocabSize) : ICausalLanguageModel
{
    public ulong Seed;
    public int VocabSize => vocabSize;
    public int MaxContextLength => 1 << 16;
    public IInferenceSession CreateSession(int contextLength) => new Session(this, contextLength);
    public void Dispose() { }

    sealed class Session(RandomLogits owner, int contextLength) : IInferenceSession
    {
        readonly List<int> _tokens = [];
        ulong _state = owner.Seed * 0x9E3779B97F4A7C15UL + 1;
        public int ContextLength => contextLength;
        public int Length => _tokens.Count;
        public ReadOnlySpan<int> Tokens => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tokens);
        public void Append(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions = false)
        {
            _tokens.AddRange(tokens.ToArray());
            for (int i = 0; i < logits.Length; i++)
            {
                _state ^= _state << 13; _state ^= _state >> 7; _state ^= _state << 17;
                logits[i] = (_state >> 40) * (1f / (1 << 24));
            }
        }
        public void Truncate(int length) => _tokens.RemoveRange(length, _tokens.Count - length);
        public void Dispose() { }
    }
}
