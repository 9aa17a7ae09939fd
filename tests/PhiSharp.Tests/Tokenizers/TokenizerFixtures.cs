using System.Text.Json;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>The tokenizer corpus and the reference outputs made by HF tokenizers (see tests/fixtures/tokenizer/README.md).</summary>
internal static class TokenizerFixtures
{
    public static readonly string Phi3TokenizerJson = Fixtures.Path("tokenizer", "phi3", "tokenizer.json");

    public static readonly Lazy<SentencePieceBpeTokenizer> Phi3 = new(() => SentencePieceBpeTokenizer.FromTokenizerJson(Phi3TokenizerJson));

    static readonly Dictionary<string, Lazy<ByteLevelBpeTokenizer>> TiktokenEncodings = new[] { "cl100k_base", "o200k_base", "gpt2" }
        .ToDictionary(name => name, name => new Lazy<ByteLevelBpeTokenizer>(() => LoadTiktoken(name)));

    /// <summary>A tiktoken encoding from the shared rank files, with the pattern and special tokens of its .json.</summary>
    public static ByteLevelBpeTokenizer Tiktoken(string name) => TiktokenEncodings[name].Value;

    static ByteLevelBpeTokenizer LoadTiktoken(string name)
    {
        using var spec = JsonDocument.Parse(File.ReadAllText(SharedFixtures.Path("tokenizers", "tiktoken", name + ".json")));
        var special = spec.RootElement.GetProperty("special_tokens").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        return ByteLevelBpeTokenizer.FromTiktoken(SharedFixtures.Path("tokenizers", "tiktoken", name + ".tiktoken"),
            spec.RootElement.GetProperty("pat_str").GetString()!, special);
    }

    public static readonly string[] Corpus = ReadJsonLines("corpus.jsonl").Select(e => e.GetProperty("text").GetString()!).ToArray();

    public static IEnumerable<JsonElement> ReadJsonLines(string fileName) =>
        File.ReadLines(Fixtures.Path("tokenizer", fileName)).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone());

    public static int[] Ids(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();

    /// <summary>Index-aligned pairs of a corpus line and its reference record; theory data uses the index.</summary>
    public static IEnumerable<object[]> CorpusIndices() => Enumerable.Range(0, Corpus.Length).Select(i => new object[] { i });
}
