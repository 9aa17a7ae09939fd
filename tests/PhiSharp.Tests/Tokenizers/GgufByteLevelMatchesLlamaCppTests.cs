using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// GPT-2 (Phi-2), cl100k and o200k (Phi-4-mini) vocabularies read from GGUF metadata encode the tokenizer corpus and
/// the byte-level stress strings as llama.cpp does with the same GGUF vocabulary (tests/fixtures/tokenizer_gguf, made by
/// tools/reference/llamacpp/tokenizer_fixtures.py; ids identical, no tolerance: a tokenizer is exact or wrong).
///
/// Hugging Face / tiktoken is the reference (docs/DESIGN.md); llama.cpp is the second one. Where llama.cpp disagrees with
/// the reference the line is listed in <see cref="KnownDisagreements"/> and PhiSharp must equal the reference there; the
/// test checks that the list is exactly the set of disagreeing lines, so it can neither hide a failure nor go stale.
/// </summary>
public class GgufByteLevelMatchesLlamaCppTests
{
    /// <summary>
    /// o200k: llama.cpp's "gpt-4o" pattern is an adaptation of o200k's for its regex engine in which a word's letters
    /// are <c>(?=\p{L})</c> lookaheads, so combining marks (\p{M}: Devanagari vowel signs and virama, U+20DD, U+0301),
    /// which o200k's classes put inside words, end a word instead. Every listed text holds a mark; texts with marks that
    /// split the same either way are not listed. GPT-2 and cl100k: no disagreement.
    /// </summary>
    internal static readonly Dictionary<(string Case, string Texts), int[]> KnownDisagreements = new()
    {
        [("o200k", "corpus")] = [53],
        [("o200k", "stress")] = [24, 54, 56, 71, 223, 294, 322, 326, 334, 380],
    };

    /// <summary>Case (vocabularies.json) → the reference ids of the corpus: HF tokenizers for GPT-2, tiktoken for the others.</summary>
    static readonly Dictionary<string, string> CorpusReference = new()
    {
        ["gpt2"] = "gpt2.ids.jsonl", ["gpt2_phi2"] = "gpt2.ids.jsonl", ["cl100k_dbrx"] = "cl100k.ids.jsonl",
        ["cl100k_llama_bpe"] = "cl100k.ids.jsonl", ["o200k"] = "o200k.ids.jsonl",
    };

    /// <summary>Case → the key of tiktoken's ids in bytelevel_stress.jsonl.</summary>
    static readonly Dictionary<string, string> StressReference = new()
    {
        ["gpt2_tiktoken"] = "gpt2", ["cl100k_dbrx"] = "cl100k", ["cl100k_llama_bpe"] = "cl100k", ["o200k"] = "o200k",
    };

    static readonly JsonElement[] Stress = TokenizerFixtures.ReadJsonLines("bytelevel_stress.jsonl").ToArray();

    public static IEnumerable<object[]> CorpusCases => CorpusReference.Keys.Select(c => new object[] { c });
    public static IEnumerable<object[]> StressCases => StressReference.Keys.Select(c => new object[] { c });

    static JsonElement[] LlamaCpp(string name, string texts) =>
        File.ReadLines(Fixtures.Path("tokenizer_gguf", $"{name}.{texts}.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();

    internal static int[] Known(string name, string texts) => KnownDisagreements.TryGetValue((name, texts), out var lines) ? lines : [];

    static bool HasCombiningMark(string text) => text.EnumerateRunes().Any(r => Rune.GetUnicodeCategory(r)
        is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark);

    static string Show(string text) => JsonSerializer.Serialize(text);

    [Theory, MemberData(nameof(CorpusCases))]
    public void Encodes_the_corpus_like_llama_cpp_where_it_agrees_with_the_reference(string name)
    {
        var (_, tokenizer) = LlamaCppBpeVocabulary.Get(name);
        var llama = LlamaCpp(name, "ids");
        var reference = TokenizerFixtures.ReadJsonLines(CorpusReference[name]).ToArray();
        Assert.Equal(TokenizerFixtures.Corpus.Length, llama.Length);
        var failures = new List<string>();
        for (int line = 0; line < llama.Length; line++)
        {
            string text = TokenizerFixtures.Corpus[line];
            foreach (var (key, parseSpecial) in new[] { ("special", true), ("plain", false) })
            {
                int[] ours = tokenizer.Encode(text, parseSpecial: parseSpecial);
                int[] theirs = TokenizerFixtures.Ids(llama[line], key), expected = TokenizerFixtures.Ids(reference[line], key);
                failures.AddRange(Check(name, "corpus", line, key, text, ours, theirs, expected));
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory, MemberData(nameof(StressCases))]
    public void Encodes_the_stress_strings_like_llama_cpp_where_it_agrees_with_tiktoken(string name)
    {
        var (_, tokenizer) = LlamaCppBpeVocabulary.Get(name);
        var llama = LlamaCpp(name, "stress");
        Assert.Equal(Stress.Length, llama.Length);
        var failures = new List<string>();
        for (int i = 0; i < Stress.Length; i++)
        {
            string text = Stress[i].GetProperty("text").GetString()!;
            failures.AddRange(Check(name, "stress", i, "plain", text, tokenizer.Encode(text),
                TokenizerFixtures.Ids(llama[i], "plain"), TokenizerFixtures.Ids(Stress[i], StressReference[name])));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// Outside the known list: llama.cpp equals the reference and PhiSharp equals both. On it: llama.cpp differs from
    /// the reference, the text holds a combining mark (the stated reason) and PhiSharp equals the reference.
    /// </summary>
    internal static IEnumerable<string> Check(string name, string texts, int line, string key, string text, int[] ours, int[] llama, int[] reference) =>
        Check(Known(name, texts), $"{name} {texts} {line} ({key}) {Show(text)}", line, text, ours, llama, reference);

    internal static IEnumerable<string> Check(int[] known, string where, int line, string text, int[] ours, int[] llama, int[] reference)
    {
        if (!known.Contains(line))
        {
            if (!llama.SequenceEqual(reference)) yield return $"{where}: llama.cpp differs from the reference but the line is not listed as a known disagreement";
            else if (!ours.SequenceEqual(llama)) yield return $"{where}: PhiSharp [{string.Join(",", ours)}] llama.cpp [{string.Join(",", llama)}]";
            yield break;
        }
        if (llama.SequenceEqual(reference)) yield return $"{where}: listed as a disagreement but llama.cpp equals the reference";
        if (!HasCombiningMark(text)) yield return $"{where}: listed as a disagreement but holds no combining mark";
        if (!ours.SequenceEqual(reference)) yield return $"{where}: PhiSharp [{string.Join(",", ours)}] reference [{string.Join(",", reference)}]";
    }

    /// <summary>Decoding gives the text back exactly, from PhiSharp's ids and from llama.cpp's (also where they differ).</summary>
    [Theory, MemberData(nameof(CorpusCases))]
    public void Decodes_both_encodings_of_every_line_to_the_text(string name)
    {
        var (_, tokenizer) = LlamaCppBpeVocabulary.Get(name);
        var llama = LlamaCpp(name, "ids");
        for (int line = 0; line < llama.Length; line++)
        {
            string text = TokenizerFixtures.Corpus[line];
            Assert.True(text == tokenizer.Decode(tokenizer.Encode(text, parseSpecial: true)), $"{name} line {line}: {Show(text)}");
            Assert.True(text == tokenizer.Decode(TokenizerFixtures.Ids(llama[line], "special")), $"{name} line {line} (llama.cpp ids): {Show(text)}");
        }
    }

    [Theory, MemberData(nameof(CorpusCases))]
    public void Reads_the_vocabulary_llama_cpp_read(string name)
    {
        // Get rebuilds the arrays and checks their SHA-256 digests against the ones the reference script recorded.
        var (vocabulary, tokenizer) = LlamaCppBpeVocabulary.Get(name);
        Assert.Equal(vocabulary.Manifest.GetProperty("tokenCount").GetInt32(), vocabulary.Tokens.Length);
        Assert.Equal([vocabulary.EndOfText], tokenizer.EosIds.ToArray());
        Assert.True(tokenizer.IsSpecial(vocabulary.EndOfText));
        Assert.Empty(tokenizer.Encode("", addSpecialTokens: true));   // add_bos_token / add_eos_token false
    }

    [Fact]
    public void Known_disagreements_are_o200k_lines_only() =>
        Assert.All(KnownDisagreements.Keys, k => Assert.Equal("o200k", k.Case));
}
