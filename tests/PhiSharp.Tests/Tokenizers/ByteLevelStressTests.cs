using System.Text.Json;
using PhiSharp.Tokenizers.ByteLevel;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// The hand-written GPT-2 / cl100k / o200k pre-tokenizers against tiktoken's regex engine on random strings of the
/// characters where the split patterns are subtle (bytelevel_stress.jsonl, tools/reference/tokenizer/stress_fixtures.mjs).
/// Ids must be identical: any split difference changes them.
/// </summary>
public class ByteLevelStressTests
{
    static readonly JsonElement[] Cases = TokenizerFixtures.ReadJsonLines("bytelevel_stress.jsonl").ToArray();

    public static IEnumerable<object[]> Encodings => [["gpt2", "gpt2"], ["cl100k_base", "cl100k"], ["o200k_base", "o200k"]];

    [Theory, MemberData(nameof(Encodings))]
    public void Encodes_tricky_text_like_tiktoken(string name, string key)
    {
        var tokenizer = TokenizerFixtures.Tiktoken(name);
        Assert.Equal(400, Cases.Length);
        var failures = new List<string>();
        foreach (var c in Cases)
        {
            string text = c.GetProperty("text").GetString()!;
            var ids = tokenizer.Encode(text);
            if (!TokenizerFixtures.Ids(c, key).SequenceEqual(ids))
                failures.Add($"{JsonSerializer.Serialize(text)}: expected [{string.Join(",", TokenizerFixtures.Ids(c, key))}] got [{string.Join(",", ids)}]");
            else if (tokenizer.Decode(ids) != text)
                failures.Add($"{JsonSerializer.Serialize(text)}: does not round-trip");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {Cases.Length} differ:\n" + string.Join("\n", failures.Take(10)));
    }

    [Theory, MemberData(nameof(Encodings))]
    public void The_shipped_patterns_get_hand_written_scanners(string name, string key)
    {
        // The .NET regex engine sees an astral letter as two non-letters, so these patterns must not fall back to it.
        using var spec = JsonDocument.Parse(File.ReadAllText(SharedFixtures.Path("tokenizers", "tiktoken", name + ".json")));
        var splitter = WordSplitter.FromPattern(spec.RootElement.GetProperty("pat_str").GetString()!);
        Assert.IsNotType<RegexWordSplitter>(splitter);
    }

    [Fact]
    public void The_tokenizer_json_spellings_get_hand_written_scanners()
    {
        foreach (string pattern in new[] { KnownPatterns.Gpt2, KnownPatterns.Cl100kHf, KnownPatterns.Cl100kTiktoken, KnownPatterns.O200kHf })
            Assert.IsNotType<RegexWordSplitter>(WordSplitter.FromPattern(pattern));
    }
}
