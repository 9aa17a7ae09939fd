using System.Text.Json;
using PhiSharp.Tokenizers;

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
        using var dir = new Formats.TempDirectory();
        return ByteLevelBpeTokenizer.FromTokenizerJson(
            ByteLevelTokenizerJson.Write(dir.Path, "o200k_base", [(199999, "<|endoftext|>"), (200018, "<|endofprompt|>")]));
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
