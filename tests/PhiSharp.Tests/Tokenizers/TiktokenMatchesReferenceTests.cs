using System.Text.Json;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// cl100k_base and o200k_base loaded from their .tiktoken rank files encode every corpus line exactly as tiktoken does
/// (ids identical, no tolerance: a tokenizer is exact or wrong), and decoding gives the text back exactly.
/// </summary>
public class TiktokenMatchesReferenceTests
{
    static readonly Dictionary<string, JsonElement[]> Reference = new()
    {
        ["cl100k_base"] = TokenizerFixtures.ReadJsonLines("cl100k.ids.jsonl").ToArray(),
        ["o200k_base"] = TokenizerFixtures.ReadJsonLines("o200k.ids.jsonl").ToArray(),
    };

    public static IEnumerable<object[]> Encodings => [["cl100k_base"], ["o200k_base"]];

    [Theory, MemberData(nameof(Encodings))]
    public void Reference_covers_the_whole_corpus(string name) => Assert.Equal(TokenizerFixtures.Corpus.Length, Reference[name].Length);

    [Theory, MemberData(nameof(Encodings))]
    public void Encodes_every_line_like_tiktoken(string name)
    {
        var tokenizer = TokenizerFixtures.Tiktoken(name);
        for (int line = 0; line < TokenizerFixtures.Corpus.Length; line++)
        {
            string text = TokenizerFixtures.Corpus[line];
            Assert.True(TokenizerFixtures.Ids(Reference[name][line], "special").SequenceEqual(tokenizer.Encode(text, parseSpecial: true)),
                $"{name} line {line} (special tokens parsed): {JsonSerializer.Serialize(text)}");
            Assert.True(TokenizerFixtures.Ids(Reference[name][line], "plain").SequenceEqual(tokenizer.Encode(text)),
                $"{name} line {line} (ordinary): {JsonSerializer.Serialize(text)}");
        }
    }

    [Theory, MemberData(nameof(Encodings))]
    public void Round_trips_every_line_exactly(string name)
    {
        var tokenizer = TokenizerFixtures.Tiktoken(name);
        foreach (string text in TokenizerFixtures.Corpus)
        {
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, parseSpecial: true)));
        }
    }

    [Fact]
    public void Skips_special_tokens_on_request()
    {
        var tokenizer = TokenizerFixtures.Tiktoken("cl100k_base");
        var ids = tokenizer.Encode("a<|endoftext|>b", parseSpecial: true);
        Assert.Contains(100257, ids);
        Assert.Equal("ab", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.True(tokenizer.IsSpecial(100257));
        Assert.Equal([100257], tokenizer.EosIds);
    }

    [Fact]
    public void Rejects_a_malformed_rank_file()
    {
        using var dir = new Formats.TempDirectory();
        string path = Path.Combine(dir.Path, "bad.tiktoken");
        File.WriteAllText(path, "IQ== 0\nnot-base64! 1\n");
        var e = Assert.Throws<ModelFormatException>(() => ByteLevelBpeTokenizer.FromTiktoken(path, "\\s+", new Dictionary<string, int>()));
        Assert.Contains("line 2", e.Message);
    }
}
