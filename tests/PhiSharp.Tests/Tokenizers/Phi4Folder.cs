using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Tokenizers.ByteLevel;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// Phi-4 (14B)'s tokenizer files as transformers 4.52.4's TikTokenConverter makes them from cl100k_base plus Phi-4's added
/// tokens (tools/reference/tokenizer/phi4_tokenizer_json.py): the committed tokenizer.template.json and
/// tokenizer_config.json, with the vocabulary and merges rebuilt from the shared cl100k_base.tiktoken by the
/// converter's rule. The tables are several MB, so they stay out of the repository; tables.json holds the SHA-256 of
/// transformers' merges, which the rebuilt merges must equal before any test runs.
/// </summary>
internal static class Phi4Folder
{
    public const int VocabSize = 100352;

    static string Fixture(string name) => Fixtures.Path("tokenizer", "phi4", name);

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="folder"/>; returns tokenizer.json's path.</summary>
    public static string Write(string folder)
    {
        var (texts, merges) = ConverterTables();
        using (var tables = JsonDocument.Parse(File.ReadAllText(Fixture("tables.json"))))
        {
            string expected = tables.RootElement.GetProperty("mergesSha256").GetString()!;
            string actual = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', merges))));
            if (actual != expected)
                throw new InvalidDataException($"rebuilt merges ({merges.Length}) are not transformers' (sha256 {actual}, expected {expected})");
        }
        // Streamed: a JsonNode tree of 100256 + 233378 entries takes seconds to build and write.
        var template = JsonNode.Parse(File.ReadAllText(Fixture("tokenizer.template.json")))!.AsObject();
        string path = Path.Combine(folder, "tokenizer.json");
        using (var stream = File.Create(path))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in template)
            {
                if (name != "model") { Write(writer, name, value); continue; }
                writer.WriteStartObject(name);
                foreach (var (key, setting) in value!.AsObject())
                    if (key is not ("vocab" or "merges")) Write(writer, key, setting);
                writer.WriteStartObject("vocab");
                for (int id = 0; id < texts.Length; id++) writer.WriteNumber(texts[id], id);
                writer.WriteEndObject();
                writer.WriteStartArray("merges");
                foreach (string merge in merges) writer.WriteStringValue(merge);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        File.Copy(Fixture("tokenizer_config.json"), Path.Combine(folder, "tokenizer_config.json"));
        return path;
    }

    static void Write(Utf8JsonWriter writer, string name, JsonNode? value)
    {
        writer.WritePropertyName(name);
        if (value is null) writer.WriteNullValue();
        else value.WriteTo(writer);
    }

    /// <summary>
    /// TikTokenConverter.extract_vocab_merges_from_model: each rank's bytes in the byte-level alphabet; for every
    /// multi-byte token in rank order, every split into two ranked halves, ordered by the halves' ranks. Unlike a GPT-2
    /// merges.txt this keeps all such splits (233378 merges for 100000 multi-byte tokens).
    /// </summary>
    static (string[] Texts, string[] Merges) ConverterTables()
    {
        var texts = new List<string>();
        foreach (string line in File.ReadLines(SharedFixtures.Path("tokenizers", "tiktoken", "cl100k_base.tiktoken")))
        {
            string[] parts = line.Split(' ');
            if (int.Parse(parts[1]) != texts.Count) throw new InvalidDataException("cl100k_base.tiktoken ranks are not 0, 1, 2, …");
            texts.Add(ByteLevelAlphabet.ToText(Convert.FromBase64String(parts[0])));
        }
        // The byte-level alphabet spells each byte as one char, so splitting the text splits the bytes.
        var rank = new Dictionary<string, int>(texts.Count, StringComparer.Ordinal);
        for (int id = 0; id < texts.Count; id++) rank[texts[id]] = id;
        var halves = rank.GetAlternateLookup<ReadOnlySpan<char>>();
        var merges = new List<string>(240_000);
        var local = new List<(int Left, int Right, int Split)>();
        foreach (string token in texts)
        {
            local.Clear();
            for (int split = 1; split < token.Length; split++)
                if (halves.TryGetValue(token.AsSpan(0, split), out int left) && halves.TryGetValue(token.AsSpan(split), out int right))
                    local.Add((left, right, split));
            local.Sort((a, b) => a.Left != b.Left ? a.Left.CompareTo(b.Left) : a.Right.CompareTo(b.Right));
            foreach (var m in local) merges.Add(string.Concat(token.AsSpan(0, m.Split), " ", token.AsSpan(m.Split)));
        }
        return (texts.ToArray(), merges.ToArray());
    }
}
