using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PhiSharp.Formats.Gguf;
using PhiSharp.Models;
using PhiSharp.Tests.Formats;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// The byte-level BPE vocabularies that tools/reference/llamacpp/tokenizer_fixtures.py gave llama.cpp, rebuilt from the
/// shared tiktoken rank files (the GGUF files, 8–21 MB, are not committed) and read back through PhiSharp's GGUF path:
/// written as GGUF tokenizer metadata, opened with <see cref="GgufFile"/> and turned into a tokenizer by the model
/// loader. tests/fixtures/tokenizer_gguf/vocabularies.json names each case's rank file, added tokens and
/// tokenizer.ggml.pre, and holds SHA-256 digests of the arrays llama.cpp read; the rebuilt arrays must match them, so
/// both sides tokenized with the same vocabulary.
/// </summary>
internal sealed record LlamaCppBpeVocabulary(string Case, string RankFile, string Pre, string[] Tokens, int[] Types, string[] Merges,
    int EndOfText, JsonElement Manifest)
{
    const int Normal = 1, Control = 3, UserDefined = 4, Unused = 5;

    static readonly JsonElement Cases = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("tokenizer_gguf", "vocabularies.json"))).RootElement;

    static readonly Dictionary<string, Lazy<(LlamaCppBpeVocabulary Vocabulary, ITokenizer Tokenizer)>> Loaded =
        Cases.EnumerateObject().ToDictionary(c => c.Name, c => new Lazy<(LlamaCppBpeVocabulary, ITokenizer)>(() => Load(c.Name)));

    public static (LlamaCppBpeVocabulary Vocabulary, ITokenizer Tokenizer) Get(string name) => Loaded[name].Value;

    /// <summary>Same layout as bpe_vocab.py: the ranks, unused "[PAD&lt;id&gt;]" tokens up to the added ids, the added tokens.</summary>
    static LlamaCppBpeVocabulary Rebuild(string name)
    {
        var spec = Cases.GetProperty(name);
        string rankFile = spec.GetProperty("rankFile").GetString()!;
        var (texts, merges) = Gpt2Vocabulary.TiktokenTables(rankFile);
        var added = spec.GetProperty("added").EnumerateArray()
            .Select(a => (Id: a.GetProperty("id").GetInt32(), Text: a.GetProperty("text").GetString()!, Control: a.GetProperty("control").GetBoolean()))
            .ToArray();
        int size = Math.Max(texts.Length, added.Max(a => a.Id) + 1);
        var tokens = new string[size];
        var types = new int[size];
        for (int id = 0; id < size; id++)
            (tokens[id], types[id]) = id < texts.Length ? (texts[id], Normal) : ($"[PAD{id}]", Unused);
        foreach (var (id, text, control) in added) (tokens[id], types[id]) = (text, control ? Control : UserDefined);
        return new LlamaCppBpeVocabulary(name, rankFile, spec.GetProperty("pre").GetString()!, tokens, types, merges,
            spec.GetProperty("endOfText").GetInt32(), spec);
    }

    static (LlamaCppBpeVocabulary, ITokenizer) Load(string name)
    {
        var vocabulary = Rebuild(name);
        vocabulary.CheckDigests();
        using var dir = new TempDirectory();
        string path = dir.File(name + ".gguf");
        vocabulary.WriteGguf(path);
        using var gguf = GgufFile.Open(path);
        return (vocabulary, ModelLoader.GgufTokenizer(gguf));
    }

    void CheckDigests()
    {
        static string Sha256(IEnumerable<string> strings) =>
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", strings))));
        if (Sha256(Tokens) != Manifest.GetProperty("tokensSha256").GetString()
            || Sha256(Types.Select(t => t.ToString())) != Manifest.GetProperty("typesSha256").GetString()
            || Sha256(Merges) != Manifest.GetProperty("mergesSha256").GetString())
            throw new InvalidDataException($"{Case}: the vocabulary rebuilt from {RankFile}.tiktoken is not the one llama.cpp tokenized with");
    }

    /// <summary>The tokenizer keys bpe_vocab.py writes (no tensors: only the tokenizer is read here).</summary>
    void WriteGguf(string path)
    {
        using var w = new GgufWriter(path);
        w.AddMetadata("general.architecture", "phi2");
        w.AddMetadata("tokenizer.ggml.model", "gpt2");
        w.AddMetadata("tokenizer.ggml.pre", Pre);
        w.AddArray("tokenizer.ggml.tokens", Tokens);
        w.AddArray<int>("tokenizer.ggml.token_type", Types);
        w.AddArray("tokenizer.ggml.merges", Merges);
        w.AddMetadata("tokenizer.ggml.bos_token_id", (uint)EndOfText);
        w.AddMetadata("tokenizer.ggml.eos_token_id", (uint)EndOfText);
        w.AddMetadata("tokenizer.ggml.add_bos_token", false);
        w.AddMetadata("tokenizer.ggml.add_eos_token", false);
        w.Finish();
    }
}
