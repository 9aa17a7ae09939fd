using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Tokenizers;
using PhiSharp.Tokenizers.ByteLevel;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// o200k as a tokenizer.json in Phi-4-mini's layout (BPE with ignore_merges; pre-tokenizer Sequence of Split with the
/// o200k regex and ByteLevel without its own regex; ByteLevel decoder), with vocab and merges made from the shared
/// o200k_base.tiktoken, encodes the corpus exactly as tiktoken does (o200k.ids.jsonl; ids identical, no tolerance).
/// </summary>
public class O200kTokenizerJsonTests
{
    static readonly JsonElement[] Reference = TokenizerFixtures.ReadJsonLines("o200k.ids.jsonl").ToArray();

    static readonly Lazy<ByteLevelBpeTokenizer> Tokenizer = new(() =>
    {
        var (texts, merges) = Gpt2Vocabulary.TiktokenTables("o200k_base");
        var vocab = new JsonObject();
        for (int id = 0; id < texts.Length; id++) vocab[texts[id]] = id;
        JsonObject Added(int id, string content) => new()
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = true,
        };
        var json = new JsonObject
        {
            ["added_tokens"] = new JsonArray(Added(199999, "<|endoftext|>"), Added(200018, "<|endofprompt|>")),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = KnownPatterns.O200kHf }, ["behavior"] = "Isolated", ["invert"] = false },
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
        using var dir = new Formats.TempDirectory();
        string path = dir.File("tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        return ByteLevelBpeTokenizer.FromTokenizerJson(path);
    });

    [Fact]
    public void Encodes_every_line_like_tiktoken()
    {
        for (int line = 0; line < TokenizerFixtures.Corpus.Length; line++)
        {
            string text = TokenizerFixtures.Corpus[line];
            Assert.True(TokenizerFixtures.Ids(Reference[line], "special").SequenceEqual(Tokenizer.Value.Encode(text, parseSpecial: true)),
                $"line {line} (special tokens parsed): {JsonSerializer.Serialize(text)}");
            Assert.True(TokenizerFixtures.Ids(Reference[line], "plain").SequenceEqual(Tokenizer.Value.Encode(text)),
                $"line {line} (ordinary): {JsonSerializer.Serialize(text)}");
            Assert.Equal(text, Tokenizer.Value.Decode(Tokenizer.Value.Encode(text)));
        }
    }
}
