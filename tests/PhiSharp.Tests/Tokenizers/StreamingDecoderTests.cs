using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

public class StreamingDecoderTests
{
    static SentencePieceBpeTokenizer Tokenizer => TokenizerFixtures.Phi3.Value;

    public static IEnumerable<object[]> Lines => TokenizerFixtures.CorpusIndices();

    [Theory, MemberData(nameof(Lines))]
    public void Streamed_text_equals_decoding_everything_at_once(int line)
    {
        var ids = Tokenizer.Encode(TokenizerFixtures.Corpus[line], parseSpecial: true);
        var decoder = new StreamingDecoder(Tokenizer);
        string streamed = string.Concat(ids.Select(decoder.Push)) + decoder.Flush();
        Assert.Equal(Tokenizer.Decode(ids), streamed);
    }

    [Fact]
    public void Holds_back_a_character_until_its_last_byte_arrives()
    {
        // 你 is E4 BD A0; byte tokens are <0xHH> at id 3 + HH.
        var decoder = new StreamingDecoder(Tokenizer);
        Assert.Equal("", decoder.Push(3 + 0xE4));
        Assert.Equal("", decoder.Push(3 + 0xBD));
        Assert.Equal("你", decoder.Push(3 + 0xA0));
    }

    [Fact]
    public void Flush_turns_an_unfinished_character_into_a_replacement_character()
    {
        var decoder = new StreamingDecoder(Tokenizer);
        decoder.Push(3 + 0xE4);
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("", decoder.Flush());
    }
}
