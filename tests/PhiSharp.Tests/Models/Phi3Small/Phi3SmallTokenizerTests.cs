using System.Text.Json;
using PhiSharp.Models.Phi3Small;
using PhiSharp.Tests.Tokenizers;

namespace PhiSharp.Tests.Models.Phi3Small;

/// <summary>
/// Phi-3-small's tokenizer (cl100k_base ranks and pattern plus tokenization_phi3_small.py's special tokens) encodes the
/// shared corpus and chat-marker lines exactly as npm tiktoken does with the same ranks and table
/// (tools/reference/tokenizer/phi3small_fixtures.mjs), with and without special-token parsing. Ids are exact: a
/// tokenizer is right or wrong.
/// </summary>
public class Phi3SmallTokenizerTests
{
    static readonly Lazy<PhiSharp.Tokenizers.ByteLevelBpeTokenizer> Tokenizer = new(() =>
        Phi3SmallTokenizer.FromRankFile(SharedFixtures.Path("tokenizers", "tiktoken", Phi3SmallTokenizer.RankFileName)));

    static readonly JsonElement[] Reference = TokenizerFixtures.ReadJsonLines("phi3small.ids.jsonl").ToArray();

    [Fact]
    public void Encodes_every_line_like_tiktoken_with_the_same_table()
    {
        Assert.True(Reference.Length > TokenizerFixtures.Corpus.Length, "the reference holds the corpus and the chat lines");
        foreach (var line in Reference)
        {
            string text = line.GetProperty("text").GetString()!;
            Assert.True(TokenizerFixtures.Ids(line, "special").SequenceEqual(Tokenizer.Value.Encode(text, parseSpecial: true)),
                $"special tokens parsed: {JsonSerializer.Serialize(text)}");
            Assert.True(TokenizerFixtures.Ids(line, "plain").SequenceEqual(Tokenizer.Value.Encode(text)),
                $"ordinary: {JsonSerializer.Serialize(text)}");
            Assert.Equal(text, Tokenizer.Value.Decode(Tokenizer.Value.Encode(text, parseSpecial: true)));
        }
    }

    [Fact]
    public void The_special_token_table_and_dummy_ids_are_the_remote_code_s()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("transformers", "phi3small", "special_tokens.json")));
        var table = json.RootElement.GetProperty("special_tokens").EnumerateObject().Select(p => (p.Name, p.Value.GetInt32())).ToArray();
        Assert.Equal(table, Phi3SmallSpecialTokens.All.Select(t => (t.Key, t.Value)).ToArray());
        var dummy = json.RootElement.GetProperty("dummy_token_indices").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(dummy, Phi3SmallSpecialTokens.DummyTokenIds);
    }

    [Fact]
    public void Chat_markers_are_single_tokens_and_end_of_text_ends_a_sequence()
    {
        var tokenizer = Tokenizer.Value;
        Assert.Equal([100262, 100266, 100263], tokenizer.Encode("<|user|><|end|><|assistant|>", parseSpecial: true));
        Assert.Equal([100257], tokenizer.EosIds);
        Assert.True(tokenizer.IsSpecial(100351));
    }

    [Fact]
    public void A_folder_without_the_rank_file_is_refused_by_name()
    {
        using var dir = new PhiSharp.Tests.Formats.TempDirectory();
        var e = Assert.Throws<ModelFormatException>(() => Phi3SmallTokenizer.FromFolder(dir.Path));
        Assert.Contains("cl100k_base.tiktoken", e.Message);
    }
}
