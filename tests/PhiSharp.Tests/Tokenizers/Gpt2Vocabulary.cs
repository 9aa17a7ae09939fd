using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Tokenizers;
using PhiSharp.Tokenizers.ByteLevel;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// The GPT-2 vocabulary (Phi-1.5 / Phi-2) in the forms the loaders read, built from the shared gpt2.tiktoken rank file
/// so the large tables stay out of the repository: a tokenizer.json (the committed template, made by
/// tools/reference/tokenizer/gpt2_fixtures.mjs, filled with vocab and merges) and GGUF-style token / merge / type arrays.
/// GPT-2's merge k made token 256 + k, so the merges are recovered from the ranks the way tiktoken's and HF's converters
/// do it: BPE over a token's bytes with only lower ranks allowed stops at the two parts that merge into it. The reference
/// script checked that the rank file is exactly the original encoder.json; if a recovered merge were wrong, the ids
/// compared with HF's would differ.
/// </summary>
internal static class Gpt2Vocabulary
{
    public const int EndOfText = 50256;

    static readonly Lazy<(string[] Texts, string[] Merges)> Tables = new(() => TiktokenTables("gpt2"));

    public static string[] RankTexts => Tables.Value.Texts;
    public static string[] Merges => Tables.Value.Merges;

    /// <summary>
    /// A tiktoken rank file as tokenizer.json tables: each rank's bytes in the byte-level alphabet, and the merges that
    /// make the multi-byte tokens in rank order, each recovered by BPE over the token's bytes with only lower ranks.
    /// </summary>
    public static (string[] Texts, string[] Merges) TiktokenTables(string name)
    {
        var texts = new List<string>();
        foreach (string line in File.ReadLines(SharedFixtures.Path("tokenizers", "tiktoken", name + ".tiktoken")))
        {
            string[] parts = line.Split(' ');
            if (int.Parse(parts[1]) != texts.Count) throw new InvalidDataException($"{name}.tiktoken ranks are not 0, 1, 2, …");
            texts.Add(ByteLevelAlphabet.ToText(Convert.FromBase64String(parts[0])));
        }
        var rank = texts.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
        var merges = new List<string>();
        for (int id = 0; id < texts.Count; id++)
        {
            if (texts[id].Length < 2) continue;
            var parts = texts[id].Select(c => c.ToString()).ToList();
            while (parts.Count > 2)
            {
                int best = -1, bestRank = id;
                for (int i = 0; i + 1 < parts.Count; i++)
                    if (rank.TryGetValue(parts[i] + parts[i + 1], out int r) && r < bestRank) (best, bestRank) = (i, r);
                if (best < 0) throw new InvalidDataException($"{name} token {id} cannot be built from lower ranks");
                parts[best] += parts[best + 1];
                parts.RemoveAt(best + 1);
            }
            merges.Add(parts[0] + " " + parts[1]);
        }
        return (texts.ToArray(), merges.ToArray());
    }

    /// <summary>Writes tokenizer.json (template + tables) into <paramref name="folder"/> and returns its path.</summary>
    public static string WriteTokenizerJson(string folder)
    {
        var json = JsonNode.Parse(File.ReadAllText(Fixtures.Path("tokenizer", "gpt2", "tokenizer.template.json")))!;
        var vocab = new JsonObject();
        for (int id = 0; id < RankTexts.Length; id++) vocab[RankTexts[id]] = id;
        vocab["<|endoftext|>"] = EndOfText;   // GPT-2's vocab.json has it too
        json["model"]!["vocab"] = vocab;
        json["model"]!["merges"] = new JsonArray(Merges.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray());
        string path = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    /// <summary>The added tokens of the template, as GGUF stores them: content as text, control (3) or user-defined (4).</summary>
    public static ByteLevelBpeTokenizer FromGguf()
    {
        using var template = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("tokenizer", "gpt2", "tokenizer.template.json")));
        var added = template.RootElement.GetProperty("added_tokens").EnumerateArray()
            .Select(t => (Id: t.GetProperty("id").GetInt32(), Text: t.GetProperty("content").GetString()!, Special: t.GetProperty("special").GetBoolean()))
            .ToArray();
        int size = added.Max(t => t.Id) + 1;
        var tokens = new string[size];
        var types = new int[size];
        RankTexts.CopyTo(tokens, 0);
        Array.Fill(types, 1, 0, RankTexts.Length);
        foreach (var (id, text, special) in added)
        {
            tokens[id] = text;
            types[id] = special ? 3 : 4;
        }
        return ByteLevelBpeTokenizer.FromGgufVocabulary(tokens, Merges, types, "gpt-2", bosId: EndOfText, eosId: EndOfText, addBos: false, addEos: false);
    }
}
