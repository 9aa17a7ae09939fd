using System.Text.Json;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// A Phi-4 (14B) Hugging Face folder (cl100k_base + 96 added tokens at 100256–100351, as transformers 4.52.4's
/// TikTokenConverter builds it; see <see cref="Phi4Folder"/>) loads as the byte-level tokenizer and encodes the corpus
/// and Phi-4 chat-format texts exactly as Hugging Face tokenizers' Rust core (the core behind transformers' fast
/// tokenizers) does: special-token text parsed to ids, and the same text kept as text; decodes equal too. Ids are
/// compared for equality, no tolerance.
/// </summary>
public class Phi4TokenizerMatchesTransformersTests
{
    static readonly JsonElement[] Corpus = TokenizerFixtures.ReadJsonLines("phi4.ids.jsonl").ToArray();
    static readonly JsonElement[] Chat = TokenizerFixtures.ReadJsonLines("phi4.chat.ids.jsonl").ToArray();

    static readonly Lazy<(ITokenizer Tokenizer, bool IsByteLevel)> Loaded = new(() =>
    {
        using var dir = new Formats.TempDirectory();
        string path = Phi4Folder.Write(dir.Path);
        return (ByteLevelBpeTokenizer.FromTokenizerJson(path), TokenizerJson.Load(path).IsByteLevel);
    });

    static ITokenizer Tokenizer => Loaded.Value.Tokenizer;

    [Fact]
    public void The_folder_loads_as_a_byte_level_vocabulary_with_phi4s_special_tokens()
    {
        Assert.True(Loaded.Value.IsByteLevel);
        Assert.Equal(Phi4Folder.VocabSize, Tokenizer.VocabSize);
        Assert.Equal(100257, Tokenizer.BosId);
        Assert.Contains(100265, Tokenizer.EosIds);   // <|im_end|>, tokenizer_config.json's eos_token
        foreach (var (text, id) in new[] { ("<|endoftext|>", 100257), ("<|im_start|>", 100264), ("<|im_end|>", 100265),
                     ("<|im_sep|>", 100266), ("<|endofprompt|>", 100276), ("<|dummy_85|>", 100349), ("<|dummy_87|>", 100351) })
        {
            Assert.True(Tokenizer.TryGetId(text, out int found), text);
            Assert.Equal(id, found);
            Assert.True(Tokenizer.IsSpecial(id), text);
        }
    }

    [Fact]
    public void Encodes_and_decodes_every_corpus_line_like_transformers()
    {
        Assert.Equal(TokenizerFixtures.Corpus.Length, Corpus.Length);
        for (int line = 0; line < Corpus.Length; line++)
            AssertMatches(TokenizerFixtures.Corpus[line], Corpus[line], $"line {line}");
    }

    [Fact]
    public void Encodes_and_decodes_chat_format_texts_like_transformers()
    {
        Assert.NotEmpty(Chat);
        foreach (var reference in Chat)
            AssertMatches(reference.GetProperty("text").GetString()!, reference, "chat text");
    }

    static void AssertMatches(string text, JsonElement reference, string what)
    {
        string shown = JsonSerializer.Serialize(text);
        var special = TokenizerFixtures.Ids(reference, "special");
        Assert.True(special.SequenceEqual(Tokenizer.Encode(text, parseSpecial: true)), $"{what} (special tokens parsed): {shown}");
        Assert.True(TokenizerFixtures.Ids(reference, "plain").SequenceEqual(Tokenizer.Encode(text)), $"{what} (special-token text as text): {shown}");
        Assert.Equal(reference.GetProperty("decoded").GetString(), Tokenizer.Decode(special));
        Assert.Equal(reference.GetProperty("decodedSkip").GetString(), Tokenizer.Decode(special, skipSpecialTokens: true));
    }
}
