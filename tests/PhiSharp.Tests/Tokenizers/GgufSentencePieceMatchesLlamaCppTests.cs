using System.Text.Json;
using PhiSharp.Tests.Formats;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// A GGUF file tokenizes as llama.cpp tokenizes it: Phi-3's SentencePiece vocabulary as phi quantize writes it encodes the
/// corpus and the extra texts (transformers 5's examples, texts around "ра", whitespace after chat tokens) exactly as
/// llama.cpp does with the same vocabulary (tests/fixtures/tokenizer_gguf, made by
/// tools/reference/llamacpp/spm_tokenizer_fixtures.py; ids identical, no tolerance), with and without special-token
/// parsing. Cases (spm_vocabularies.json): "phi3" (named like Microsoft's files, so llama.cpp gives the chat tokens
/// rstrip), "phi3_without_ra_chars" ("ра" is a piece but "р" and "а" are not) and "phi3_other_name" (no rstrip).
/// </summary>
public class GgufSentencePieceMatchesLlamaCppTests
{
    static readonly string[] ExtraTexts = File.ReadLines(Fixtures.Path("tokenizer_gguf", "spm_texts.jsonl")).Where(l => l.Length > 0)
        .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToArray();

    public static IEnumerable<object[]> CorpusCases => new[] { "phi3", "phi3_without_ra_chars" }.Select(c => new object[] { c });
    public static IEnumerable<object[]> AllCases => LlamaCppSpmVocabulary.Names.Select(c => new object[] { c });

    static JsonElement[] LlamaCpp(string file) =>
        File.ReadLines(Fixtures.Path("tokenizer_gguf", file)).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();

    static void AssertEncodesLike(ITokenizer tokenizer, string[] texts, JsonElement[] reference, string what)
    {
        Assert.Equal(texts.Length, reference.Length);
        var failures = new List<string>();
        for (int i = 0; i < texts.Length; i++)
            foreach (var (key, parseSpecial) in new[] { ("special", true), ("plain", false) })
            {
                int[] ours = tokenizer.Encode(texts[i], parseSpecial: parseSpecial), theirs = TokenizerFixtures.Ids(reference[i], key);
                if (!ours.SequenceEqual(theirs))
                    failures.Add($"{what} {i} ({key}) {JsonSerializer.Serialize(texts[i])}: PhiSharp [{string.Join(",", ours)}] llama.cpp [{string.Join(",", theirs)}]");
            }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory, MemberData(nameof(CorpusCases))]
    public void Encodes_the_corpus_like_llama_cpp(string name) =>
        AssertEncodesLike(LlamaCppSpmVocabulary.Get(name), TokenizerFixtures.Corpus, LlamaCpp($"{name}.ids.jsonl"), $"{name} corpus");

    [Theory, MemberData(nameof(AllCases))]
    public void Encodes_the_extra_texts_like_llama_cpp(string name) =>
        AssertEncodesLike(LlamaCppSpmVocabulary.Get(name), ExtraTexts, LlamaCpp($"{name}.texts.jsonl"), $"{name} text");

    /// <summary>
    /// The one difference of algorithm: llama.cpp, like sentencepiece, starts from characters, so "р" + "а" still merge
    /// into the piece "ра"; HF's BPE replaces a character that is not a piece by its byte tokens first, and bytes never
    /// merge. GGUF follows llama.cpp, tokenizer.json follows HF (tests/fixtures/tokenizer/phi3_without_ra_chars.ids.jsonl,
    /// made by HF tokenizers; the folder has no tokenizer_config.json, so the pipeline is tokenizer.json's).
    /// </summary>
    [Fact]
    public void A_piece_whose_characters_are_not_pieces_is_reached_from_gguf_but_not_from_tokenizer_json()
    {
        var removed = LlamaCppSpmVocabulary.RemovedPieces("phi3_without_ra_chars");
        Assert.Equal(["р", "а"], removed);
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tokenizer.json"), LlamaCppSpmVocabulary.TokenizerJsonWithout(removed));
        var fromTokenizerJson = SentencePieceBpeTokenizer.FromTokenizerJson(dir.File("tokenizer.json"));
        var fromGguf = LlamaCppSpmVocabulary.Get("phi3_without_ra_chars");
        Assert.False(fromGguf.TryGetId("р", out _));
        Assert.False(fromGguf.TryGetId("а", out _));
        Assert.True(fromGguf.TryGetId("▁ра", out int spaceRa));

        AssertEncodesLike(fromTokenizerJson, ExtraTexts, TokenizerFixtures.ReadJsonLines("phi3_without_ra_chars.ids.jsonl").ToArray(), "HF text");
        Assert.Equal([spaceRa], fromGguf.Encode("ра"));
        // ▁, then <0xD1><0x80><0xD0><0xB0> (the byte tokens are ids 3 + byte): the UTF-8 of "р" and "а".
        Assert.Equal([29871, 3 + 0xD1, 3 + 0x80, 3 + 0xD0, 3 + 0xB0], fromTokenizerJson.Encode("ра"));
    }
}
