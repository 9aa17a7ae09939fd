using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// BERT's WordPiece tokenizer with bert-base-uncased's vocabulary (tests/fixtures/wordpiece, made by
/// tools/reference/wordpiece/wordpiece_fixtures.mjs with HF tokenizers) encodes the tokenizer corpus plus BERT-specific
/// lines (accents, CJK, control characters, over-long words, bracketed specials) exactly as HF does, uncased and cased,
/// and decodes like HF's WordPiece decoder. Ids are compared exactly: tokenization has no tolerance.
/// </summary>
public class WordPieceMatchesHfTests
{
    public static readonly string[] VocabTexts = File.ReadAllLines(Fixtures.Path("wordpiece", "vocab.txt"));

    /// <summary>The committed template filled with vocab.txt, with the given BertNormalizer lowercase setting.</summary>
    public static WordPieceTokenizer FromJson(bool lowercase)
    {
        var json = JsonNode.Parse(File.ReadAllText(Fixtures.Path("wordpiece", "tokenizer.template.json")))!;
        json["normalizer"]!["lowercase"] = lowercase;
        var vocab = new JsonObject();
        for (int id = 0; id < VocabTexts.Length; id++) vocab[VocabTexts[id]] = id;
        json["model"]!["vocab"] = vocab;
        using var dir = new Formats.TempDirectory();
        string path = System.IO.Path.Combine(dir.Path, "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        return WordPieceTokenizer.FromTokenizerJson(path);
    }

    /// <summary>The same vocabulary as llama.cpp's converter writes it to GGUF ("phantom space" form).</summary>
    public static WordPieceTokenizer FromGgufArrays()
    {
        bool Special(string t) => t.StartsWith('[') && t.EndsWith(']');
        string[] tokens = VocabTexts.Select(t => Special(t) ? t : t.StartsWith("##") ? t[2..] : "▁" + t).ToArray();
        // As the converter types them: the tokenizer.json added tokens are control (3), [unusedN] stay normal (1).
        string[] control = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
        int[] types = VocabTexts.Select(t => control.Contains(t) ? 3 : 1).ToArray();
        return WordPieceTokenizer.FromGgufVocabulary(tokens, types, unknownId: 100, clsId: 101, sepId: 102, "test.gguf");
    }

    static readonly Lazy<WordPieceTokenizer> Uncased = new(() => FromJson(true));
    static readonly Lazy<WordPieceTokenizer> Cased = new(() => FromJson(false));
    static readonly Lazy<WordPieceTokenizer> Gguf = new(FromGgufArrays);

    static JsonElement[] Reference(string config) =>
        File.ReadLines(Fixtures.Path("wordpiece", config + ".ids.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();

    public static IEnumerable<object[]> Forms => [["uncased"], ["cased"], ["gguf"]];

    static (WordPieceTokenizer, JsonElement[]) Load(string form) => form switch
    {
        "uncased" => (Uncased.Value, Reference("uncased")),
        "cased" => (Cased.Value, Reference("cased")),
        _ => (Gguf.Value, Reference("uncased")),   // llama.cpp's WordPiece is always uncased
    };

    [Fact]
    public void Reference_covers_the_corpus_and_the_bert_lines() =>
        Assert.True(Reference("uncased").Length >= TokenizerFixtures.Corpus.Length + 20);

    [Theory, MemberData(nameof(Forms))]
    public void Encodes_every_line_like_hf(string form)
    {
        var (tokenizer, reference) = Load(form);
        foreach (var line in reference)
        {
            string text = line.GetProperty("text").GetString()!;
            string shown = JsonSerializer.Serialize(text);
            Assert.True(TokenizerFixtures.Ids(line, "special").SequenceEqual(tokenizer.Encode(text, parseSpecial: true)), $"{form} special: {shown}");
            Assert.True(TokenizerFixtures.Ids(line, "plain").SequenceEqual(tokenizer.Encode(text)), $"{form} plain: {shown}");
            Assert.True(TokenizerFixtures.Ids(line, "withTemplate").SequenceEqual(tokenizer.Encode(text, addSpecialTokens: true, parseSpecial: true)),
                $"{form} [CLS] … [SEP]: {shown}");
        }
    }

    [Theory, MemberData(nameof(Forms))]
    public void Decodes_every_line_like_hf(string form)
    {
        var (tokenizer, reference) = Load(form);
        foreach (var line in reference)
        {
            var ids = TokenizerFixtures.Ids(line, "special");
            Assert.Equal(line.GetProperty("decoded").GetString(), tokenizer.Decode(ids));
            Assert.Equal(line.GetProperty("decodedSkip").GetString(), tokenizer.Decode(ids, skipSpecialTokens: true));
        }
    }

    [Fact]
    public void Reports_the_vocabulary_shape()
    {
        var tokenizer = Uncased.Value;
        Assert.Equal(30522, tokenizer.VocabSize);
        Assert.Equal(101, tokenizer.BosId);
        Assert.Equal([102], tokenizer.EosIds);
        Assert.True(tokenizer.IsSpecial(103));
        Assert.False(tokenizer.IsSpecial(1996));
        Assert.Equal("##ing", tokenizer.TokenText(2075));
        Assert.True(tokenizer.TryGetId("the", out int the) && the == 1996);
    }

    [Fact]
    public void Rejects_a_gguf_vocabulary_whose_special_ids_are_out_of_range()
    {
        var e = Assert.Throws<ModelFormatException>(() =>
            WordPieceTokenizer.FromGgufVocabulary(["[UNK]", "▁a"], [3, 1], unknownId: 0, clsId: 7, sepId: 1, "x.gguf"));
        Assert.Contains("cls_token_id 7", e.Message);
    }
}
