using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Tests.Formats;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// A Hugging Face folder whose tokenizer_config.json names LlamaTokenizer (Phi-3's, with legacy: false) tokenizes as
/// transformers 5 does, which differs from transformers 4.x (and from tokenizer.json run as written) in one documented
/// way: no ▁ is prepended to text that follows an added token or that starts with a space (docs/TOKENIZERS.md).
/// Ids identical, no tolerance.
/// </summary>
public class Transformers5PipelineTests
{
    static SentencePieceBpeTokenizer Tokenizer => TokenizerFixtures.Phi3.Value;

    static readonly JsonElement[] Recorded = File.ReadLines(SharedFixtures.Path("tokenizers", "phi3", "transformers5.jsonl"))
        .Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
    static readonly JsonElement[] Transformers4 = TokenizerFixtures.ReadJsonLines("phi3.ids.jsonl").ToArray();
    static readonly JsonElement[] Transformers5 = TokenizerFixtures.ReadJsonLines("phi3.transformers5.ids.jsonl").ToArray();

    public static IEnumerable<object[]> RecordedTexts => Enumerable.Range(0, Recorded.Length).Select(i => new object[] { i });
    public static IEnumerable<object[]> Lines => TokenizerFixtures.CorpusIndices();

    [Fact]
    public void The_recorded_ids_are_for_this_tokenizer()
    {
        Assert.Equal(File.ReadAllText(SharedFixtures.Path("tokenizers", "phi3", "tokenizer.json")), File.ReadAllText(TokenizerFixtures.Phi3TokenizerJson));
        Assert.Equal(File.ReadAllText(SharedFixtures.Path("tokenizers", "phi3", "tokenizer_config.json")),
            File.ReadAllText(Fixtures.Path("tokenizer", "phi3", "tokenizer_config.json")));
    }

    /// <summary>transformers 5.17's AutoTokenizer on the Phi-3 folder (default add_special_tokens; the folder adds no BOS).</summary>
    [Theory, MemberData(nameof(RecordedTexts))]
    public void Encodes_like_transformers_5(int index)
    {
        string text = Recorded[index].GetProperty("text").GetString()!;
        Assert.Equal(TokenizerFixtures.Ids(Recorded[index], "ids"), Tokenizer.Encode(text, addSpecialTokens: true, parseSpecial: true));
    }

    /// <summary>
    /// Between added tokens the ids form text segments. Each transformers-5 segment spells the transformers-4.x segment
    /// with its leading ▁ removed — except the segment that starts the input, when the input does not start with a space,
    /// which is the same ids. Nothing else changes: the same added tokens, the same number of segments.
    /// </summary>
    [Theory, MemberData(nameof(Lines))]
    public void Differs_from_transformers_4_only_by_the_prefix_it_no_longer_adds(int line)
    {
        string text = TokenizerFixtures.Corpus[line];
        bool startsWithSpace = text.StartsWith(' ') || text.StartsWith('▁');
        foreach (string key in new[] { "special", "plain" })
        {
            var old = Segments(TokenizerFixtures.Ids(Transformers4[line], key));
            var now = Segments(TokenizerFixtures.Ids(Transformers5[line], key));
            Assert.Equal(old.Select(s => s.AddedId), now.Select(s => s.AddedId));
            for (int i = 0; i < old.Count; i++)
            {
                if (old[i].AddedId is not null) continue;
                bool startsInput = i == 0;
                if (startsInput && !startsWithSpace)
                {
                    Assert.Equal(old[i].Ids, now[i].Ids);
                    continue;
                }
                string before = Spell(old[i].Ids), after = Spell(now[i].Ids);
                Assert.True(before.StartsWith('▁') && after == before[1..], $"line {line} ({key}) segment {i}: 4.x '{before}', 5 '{after}'");
            }
        }
    }

    /// <summary>Without a Llama tokenizer class transformers 5 runs tokenizer.json as written, as 4.x did.</summary>
    [Fact]
    public void A_folder_without_tokenizer_config_runs_tokenizer_json_as_written()
    {
        using var dir = new TempDirectory();
        File.Copy(TokenizerFixtures.Phi3TokenizerJson, dir.File("tokenizer.json"));
        var asWritten = SentencePieceBpeTokenizer.FromTokenizerJson(dir.File("tokenizer.json"));
        for (int line = 0; line < TokenizerFixtures.Corpus.Length; line++)
        {
            Assert.Equal(TokenizerFixtures.Ids(Transformers4[line], "special"), asWritten.Encode(TokenizerFixtures.Corpus[line], parseSpecial: true));
            Assert.Equal(TokenizerFixtures.Ids(Transformers4[line], "plain"), asWritten.Encode(TokenizerFixtures.Corpus[line]));
        }
    }

    /// <summary>
    /// The rule's other flags (not in transformers5.jsonl, which is legacy: false): legacy: true prepends after added tokens
    /// again but still not before a leading space ("always" in Metaspace); add_prefix_space: false never prepends.
    /// </summary>
    [Theory]
    [InlineData("legacy", true, "phi3.transformers5.legacy.ids.jsonl")]
    [InlineData("add_prefix_space", false, "phi3.transformers5.no_prefix_space.ids.jsonl")]
    public void Follows_the_config_flags(string flag, bool value, string reference)
    {
        using var dir = new TempDirectory();
        File.Copy(TokenizerFixtures.Phi3TokenizerJson, dir.File("tokenizer.json"));
        var config = JsonNode.Parse(File.ReadAllText(Fixtures.Path("tokenizer", "phi3", "tokenizer_config.json")))!;
        config[flag] = value;
        File.WriteAllText(dir.File("tokenizer_config.json"), config.ToJsonString());
        var tokenizer = SentencePieceBpeTokenizer.FromTokenizerJson(dir.File("tokenizer.json"));
        var expected = TokenizerFixtures.ReadJsonLines(reference).ToArray();
        Assert.Equal(TokenizerFixtures.Corpus.Length, expected.Length);
        for (int line = 0; line < expected.Length; line++)
            Assert.Equal(TokenizerFixtures.Ids(expected[line], "special"), tokenizer.Encode(TokenizerFixtures.Corpus[line], parseSpecial: true));
    }

    static readonly HashSet<int> AddedIds = JsonDocument.Parse(File.ReadAllText(TokenizerFixtures.Phi3TokenizerJson)).RootElement
        .GetProperty("added_tokens").EnumerateArray().Select(t => t.GetProperty("id").GetInt32()).ToHashSet();

    /// <summary>The ids cut at added tokens: an added token alone, or a run of text ids.</summary>
    static List<(int? AddedId, int[] Ids)> Segments(int[] ids)
    {
        var segments = new List<(int?, int[])>();
        var run = new List<int>();
        foreach (int id in ids)
        {
            if (!AddedIds.Contains(id))
            {
                run.Add(id);
                continue;
            }
            if (run.Count > 0) segments.Add((null, run.ToArray()));
            run.Clear();
            segments.Add((id, [id]));
        }
        if (run.Count > 0) segments.Add((null, run.ToArray()));
        return segments;
    }

    static string Spell(int[] ids) => string.Concat(ids.Select(Tokenizer.TokenText));
}
