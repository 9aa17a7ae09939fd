using System.Text.Json.Nodes;
using PhiSharp.Tokenizers.ByteLevel;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// A byte-level tokenizer.json in the layout of Phi-4's (cl100k) and Phi-4-mini's (o200k): BPE with ignore_merges, a
/// pre-tokenizer Sequence of Split (the encoding's regex, Isolated) and ByteLevel without its own regex, the ByteLevel
/// decoder, and the given special tokens as added tokens. Vocab and merges come from the shared tiktoken rank file
/// (<see cref="Gpt2Vocabulary.TiktokenTables"/>), so the 4–8 MB tables stay out of the repository.
/// </summary>
internal static class ByteLevelTokenizerJson
{
    static readonly Dictionary<string, Lazy<(string[] Texts, string[] Merges)>> Tables = new[] { "cl100k_base", "o200k_base" }
        .ToDictionary(name => name, name => new Lazy<(string[], string[])>(() => Gpt2Vocabulary.TiktokenTables(name)));

    /// <summary>The split regex each rank file's tokenizer.json carries.</summary>
    public static string Regex(string rankFile) => rankFile == "o200k_base" ? KnownPatterns.O200kHf : KnownPatterns.Cl100kHf;

    /// <summary>Writes tokenizer.json into <paramref name="folder"/> and returns its path.</summary>
    public static string Write(string folder, string rankFile, IEnumerable<(int Id, string Content)> specialTokens)
    {
        var (texts, merges) = Tables[rankFile].Value;
        var vocab = new JsonObject();
        for (int id = 0; id < texts.Length; id++) vocab[texts[id]] = id;
        var added = new JsonArray(specialTokens.Select(t => (JsonNode)new JsonObject
        {
            ["id"] = t.Id, ["content"] = t.Content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = true,
        }).ToArray());
        var json = new JsonObject
        {
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Regex(rankFile) }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["ignore_merges"] = true, ["vocab"] = vocab,
                ["merges"] = new JsonArray(merges.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
            },
        };
        string path = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }
}
