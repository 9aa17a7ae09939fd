using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Formats.Gguf;
using PhiSharp.Models;
using PhiSharp.Quantization;
using PhiSharp.Tests.Formats;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// The Phi-3 SentencePiece vocabularies that tools/reference/llamacpp/spm_tokenizer_fixtures.py gave llama.cpp, made
/// again the way <c>phi quantize</c> makes them (HfTokenizerMetadata, from the Phi-3 folder of tests/fixtures/tokenizer,
/// with the case's pieces renamed away) and read back through PhiSharp's GGUF path (GgufFile, the model loader).
/// tests/fixtures/tokenizer_gguf/spm_vocabularies.json holds, per case, general.name and SHA-256 digests of the token,
/// score and type arrays llama.cpp read; the arrays made here must match them, so both sides tokenized with the same
/// vocabulary — and phi quantize writes what llama.cpp was given.
/// </summary>
internal static class LlamaCppSpmVocabulary
{
    const int EmbeddingRows = 32064;   // Phi-3-mini's vocab_size, as in the script

    static readonly JsonElement Cases = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("tokenizer_gguf", "spm_vocabularies.json"))).RootElement;

    static readonly Dictionary<string, Lazy<ITokenizer>> Loaded =
        Cases.EnumerateObject().ToDictionary(c => c.Name, c => new Lazy<ITokenizer>(() => Load(c.Name)));

    public static IEnumerable<string> Names => Cases.EnumerateObject().Select(c => c.Name);

    public static ITokenizer Get(string name) => Loaded[name].Value;

    public static string[] RemovedPieces(string name) =>
        Cases.GetProperty(name).GetProperty("removed").EnumerateArray().Select(e => e.GetString()!).ToArray();

    /// <summary>
    /// Phi-3's tokenizer.json with <paramref name="removed"/> renamed "[PAD&lt;id&gt;]" (ids unchanged) and the merges that
    /// use them dropped — the vocabulary holds "ра" but no longer "р" or "а" — as both reference scripts build it.
    /// </summary>
    public static string TokenizerJsonWithout(string[] removed)
    {
        var json = JsonNode.Parse(File.ReadAllText(TokenizerFixtures.Phi3TokenizerJson))!;
        var model = json["model"]!;
        var vocab = new JsonObject();
        foreach (var (piece, id) in model["vocab"]!.AsObject())
            vocab[removed.Contains(piece) ? $"[PAD{id}]" : piece] = id!.GetValue<int>();
        model["vocab"] = vocab;
        var merges = new JsonArray();
        foreach (var merge in model["merges"]!.AsArray())
        {
            string[] pair = merge is JsonArray a ? [a[0]!.GetValue<string>(), a[1]!.GetValue<string>()] : merge!.GetValue<string>().Split(' ');
            if (!pair.Any(removed.Contains)) merges.Add(merge!.DeepClone());
        }
        model["merges"] = merges;
        return json.ToJsonString();
    }

    static ITokenizer Load(string name)
    {
        var spec = Cases.GetProperty(name);
        using var dir = new TempDirectory();
        var removed = RemovedPieces(name);
        File.WriteAllText(dir.File("tokenizer.json"), removed.Length == 0 ? File.ReadAllText(TokenizerFixtures.Phi3TokenizerJson) : TokenizerJsonWithout(removed));
        File.Copy(Fixtures.Path("tokenizer", "phi3", "tokenizer_config.json"), dir.File("tokenizer_config.json"));
        string path = dir.File(name + ".gguf");
        using (var writer = new GgufWriter(path))
        {
            writer.AddMetadata("general.architecture", "phi3");
            writer.AddMetadata("general.name", spec.GetProperty("name").GetString()!);
            HfTokenizerMetadata.Write(writer, dir.Path, EmbeddingRows);
            writer.Finish();
        }
        using var gguf = GgufFile.Open(path);
        CheckDigests(name, spec, gguf);
        return ModelLoader.GgufTokenizer(gguf);
    }

    static void CheckDigests(string name, JsonElement spec, GgufFile gguf)
    {
        static string Sha256(IEnumerable<string> strings) =>
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", strings))));
        gguf.TryGetFloat32Array("tokenizer.ggml.scores", out var scores);
        gguf.TryGetInt32Array("tokenizer.ggml.token_type", out var types);
        if (Sha256(gguf.GetStringArray("tokenizer.ggml.tokens")) != spec.GetProperty("tokensSha256").GetString()
            || Sha256(scores.Select(s => ((int)s).ToString(CultureInfo.InvariantCulture))) != spec.GetProperty("scoresSha256").GetString()
            || Sha256(types.Select(t => t.ToString(CultureInfo.InvariantCulture))) != spec.GetProperty("typesSha256").GetString())
            throw new InvalidDataException($"{name}: the GGUF vocabulary phi quantize writes is not the one llama.cpp tokenized with");
    }
}
