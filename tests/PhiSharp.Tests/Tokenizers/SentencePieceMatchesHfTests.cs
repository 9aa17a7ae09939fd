using System.Text.Json;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// The Phi-3 folder (tokenizer.json, and tokenizer_config.json with tokenizer_class LlamaTokenizer and legacy: false)
/// encodes and decodes every corpus line exactly as transformers 5 does: phi3.transformers5.ids.jsonl, made by HF
/// tokenizers on the pipeline transformers 5 builds for the folder (tools/reference/tokenizer/transformers5_fixtures.mjs,
/// which first reproduces transformers 5.17's own ids). Ids identical, no tolerance: a tokenizer is exact or wrong.
/// How these ids differ from transformers 4.x's is specified in <see cref="Transformers5PipelineTests"/>.
/// </summary>
public class SentencePieceMatchesHfTests
{
    static readonly JsonElement[] Reference = TokenizerFixtures.ReadJsonLines("phi3.transformers5.ids.jsonl").ToArray();
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

    public static IEnumerable<object[]> LinesWithoutAddedTokensOrLeadingSpace => TokenizerFixtures.CorpusIndices()
        .Where(l => TokenizerFixtures.Corpus[(int)l[0]] is var text && !text.StartsWith(' ') && !text.StartsWith('▁')
            && !Tokenizer.Encode(text, parseSpecial: true).Any(id => id >= 32000 || id <= 2));

    [Theory, MemberData(nameof(LinesWithoutAddedTokensOrLeadingSpace))]
    public void Round_trips_text_exactly(int line)
    {
        // Exact by construction for text without added tokens that does not start with a space: the ▁ prepended on
        // encode is the space the decoder strips. (Text that starts with a space gets no ▁, yet the decoder still strips
        // one space, as transformers 5 does; around added tokens rstrip swallows whitespace after them.)
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
