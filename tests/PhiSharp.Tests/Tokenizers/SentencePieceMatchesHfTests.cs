using System.Text.Json;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// The Phi-3 vocabulary encodes and decodes every corpus line exactly as HF tokenizers does (ids must be identical,
/// no tolerance: a tokenizer is either exact or wrong).
/// </summary>
public class SentencePieceMatchesHfTests
{
    static readonly JsonElement[] Reference = TokenizerFixtures.ReadJsonLines("phi3.ids.jsonl").ToArray();
    static SentencePieceBpeTokenizer Tokenizer => TokenizerFixtures.Phi3.Value;

    public static IEnumerable<object[]> Lines => TokenizerFixtures.CorpusIndices();

    [Fact]
    public void Reference_covers_the_whole_corpus() => Assert.Equal(TokenizerFixtures.Corpus.Length, Reference.Length);

    [Theory, MemberData(nameof(Lines))]
    public void Encodes_with_special_tokens_recognised_like_hf(int line) =>
        Assert.Equal(TokenizerFixtures.Ids(Reference[line], "special"), Tokenizer.Encode(TokenizerFixtures.Corpus[line], parseSpecial: true));

    [Theory, MemberData(nameof(Lines))]
    public void Encodes_special_token_text_as_plain_text_like_hf(int line) =>
        Assert.Equal(TokenizerFixtures.Ids(Reference[line], "plain"), Tokenizer.Encode(TokenizerFixtures.Corpus[line]));

    [Theory, MemberData(nameof(Lines))]
    public void Decodes_like_hf(int line)
    {
        var ids = TokenizerFixtures.Ids(Reference[line], "special");
        Assert.Equal(Reference[line].GetProperty("decoded").GetString(), Tokenizer.Decode(ids));
        Assert.Equal(Reference[line].GetProperty("decodedSkip").GetString(), Tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    public static IEnumerable<object[]> LinesWithoutAddedTokens => TokenizerFixtures.CorpusIndices()
        .Where(l => !Tokenizer.Encode(TokenizerFixtures.Corpus[(int)l[0]], parseSpecial: true).Any(id => id >= 32000 || id <= 2));

    [Theory, MemberData(nameof(LinesWithoutAddedTokens))]
    public void Round_trips_text_exactly(int line)
    {
        // Exact by construction for text without added tokens: the ▁ prepended on encode is the space the decoder
        // strips. (Around added tokens HF's decode is not an inverse: rstrip swallows whitespace after them.)
        string text = TokenizerFixtures.Corpus[line];
        Assert.Equal(text, Tokenizer.Decode(Tokenizer.Encode(text)));
    }

    [Fact]
    public void Decodes_broken_byte_sequences_like_hf()
    {
        foreach (var case_ in TokenizerFixtures.ReadJsonLines("phi3.decode.jsonl"))
        {
            var ids = TokenizerFixtures.Ids(case_, "ids");
            Assert.Equal(case_.GetProperty("decoded").GetString(), Tokenizer.Decode(ids));
            Assert.Equal(case_.GetProperty("decodedSkip").GetString(), Tokenizer.Decode(ids, skipSpecialTokens: true));
        }
    }

    [Fact]
    public void Reports_the_vocabulary_shape()
    {
        Assert.Equal(32011, Tokenizer.VocabSize);
        Assert.Equal(1, Tokenizer.BosId);
        Assert.Equal([32000], Tokenizer.EosIds);
        Assert.True(Tokenizer.TryGetId("<|end|>", out int end));
        Assert.Equal(32007, end);
        Assert.True(Tokenizer.IsSpecial(end));
        Assert.False(Tokenizer.IsSpecial(2));   // </s> is a non-special added token in Phi-3's tokenizer.json
        Assert.Equal("<0x0A>", Tokenizer.TokenText(3 + 0x0A));
    }
}
