using System.Text.Json;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// The GPT-2 vocabulary (Phi-1.5 / Phi-2), loaded from tokenizer.json and from GGUF-style metadata, encodes every corpus
/// line exactly as HF tokenizers does (ids identical, no tolerance), decodes like HF, and round-trips text exactly.
/// </summary>
public class Gpt2MatchesHfTests
{
    static readonly JsonElement[] Reference = TokenizerFixtures.ReadJsonLines("gpt2.ids.jsonl").ToArray();

    static readonly Lazy<ByteLevelBpeTokenizer> FromJson = new(() =>
    {
        using var dir = new Formats.TempDirectory();
        return ByteLevelBpeTokenizer.FromTokenizerJson(Gpt2Vocabulary.WriteTokenizerJson(dir.Path));
    });

    static readonly Lazy<ByteLevelBpeTokenizer> FromGguf = new(Gpt2Vocabulary.FromGguf);

    static ByteLevelBpeTokenizer Load(string form) => form == "tokenizer.json" ? FromJson.Value : FromGguf.Value;

    public static IEnumerable<object[]> Forms => [["tokenizer.json"], ["gguf"]];

    [Fact]
    public void Reference_covers_the_whole_corpus() => Assert.Equal(TokenizerFixtures.Corpus.Length, Reference.Length);

    [Theory, MemberData(nameof(Forms))]
    public void Encodes_every_line_like_hf(string form)
    {
        var tokenizer = Load(form);
        for (int line = 0; line < TokenizerFixtures.Corpus.Length; line++)
        {
            string text = TokenizerFixtures.Corpus[line];
            Assert.True(TokenizerFixtures.Ids(Reference[line], "special").SequenceEqual(tokenizer.Encode(text, parseSpecial: true)),
                $"{form} line {line} (special tokens parsed): {JsonSerializer.Serialize(text)}");
            Assert.True(TokenizerFixtures.Ids(Reference[line], "plain").SequenceEqual(tokenizer.Encode(text)),
                $"{form} line {line} (special-token text as text): {JsonSerializer.Serialize(text)}");
        }
    }

    [Theory, MemberData(nameof(Forms))]
    public void Decodes_every_line_like_hf_and_round_trips(string form)
    {
        var tokenizer = Load(form);
        for (int line = 0; line < TokenizerFixtures.Corpus.Length; line++)
        {
            var ids = TokenizerFixtures.Ids(Reference[line], "special");
            Assert.Equal(Reference[line].GetProperty("decoded").GetString(), tokenizer.Decode(ids));
            Assert.Equal(Reference[line].GetProperty("decodedSkip").GetString(), tokenizer.Decode(ids, skipSpecialTokens: true));
            string text = TokenizerFixtures.Corpus[line];
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        }
    }

    [Theory, MemberData(nameof(Forms))]
    public void Reports_the_vocabulary_shape(string form)
    {
        var tokenizer = Load(form);
        Assert.Equal(50295, tokenizer.VocabSize);
        Assert.True(tokenizer.IsSpecial(Gpt2Vocabulary.EndOfText));
        Assert.False(tokenizer.IsSpecial(50257));   // a whitespace-run added token is not special
        Assert.Equal("Ġthe", tokenizer.TokenText(262));
        Assert.True(tokenizer.TryGetId("<|endoftext|>", out int eot) && eot == Gpt2Vocabulary.EndOfText);
    }

    [Fact]
    public void Rejects_an_unknown_gguf_pre_tokenizer()
    {
        var e = Assert.Throws<UnsupportedModelException>(() =>
            ByteLevelBpeTokenizer.FromGgufVocabulary(Gpt2Vocabulary.RankTexts, Gpt2Vocabulary.Merges,
                Enumerable.Repeat(1, Gpt2Vocabulary.RankTexts.Length).ToArray(), "no-such-pre", null, null, false, false));
        Assert.Contains("no-such-pre", e.Message);
    }

    [Fact]
    public void Rejects_a_merge_of_unknown_tokens()
    {
        string[] merges = [.. Gpt2Vocabulary.Merges.Take(10), "zz qq"];
        var e = Assert.Throws<ModelFormatException>(() =>
            ByteLevelBpeTokenizer.FromGgufVocabulary(Gpt2Vocabulary.RankTexts, merges,
                Enumerable.Repeat(1, Gpt2Vocabulary.RankTexts.Length).ToArray(), "gpt-2", null, null, false, false));
        Assert.Contains("merge 10", e.Message);
    }
}
