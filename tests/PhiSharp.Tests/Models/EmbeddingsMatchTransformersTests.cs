using System.Numerics.Tensors;
using System.Text.Json;
using PhiSharp.Models.Bert;
using Xunit.Abstractions;

namespace PhiSharp.Tests.Models;

/// <summary>
/// PhiSharp's retrieval encoders on Hugging Face folders give what Hugging Face computes
/// (tests/fixtures/transformers/embeddings, made by tools/reference/transformers/embedding_fixtures.py): transformers'
/// BertModel in the shapes of bge-small-en-v1.5 (CLS pooling) and all-MiniLM-L6-v2 (mean pooling), and nomic-embed's
/// own NomicBertModel (rotary, SwiGLU, padded vocabulary; mean pooling), pooled as sentence-transformers pools.
/// </summary>
public class EmbeddingsMatchTransformersTests(ITestOutputHelper output)
{
    /// <summary>
    /// Float32 weights and float32 math on both sides; only summation order differs (measured ≤ 2e-6 on vectors whose
    /// entries are O(1)). 1e-4 is the bound. llama.cpp's BERT needs 2e-3 (its float16 GELU table,
    /// BertMatchesLlamaCppTests); transformers computes GELU with erf, as PhiSharp does.
    /// </summary>
    const float MaxAbsoluteError = 1e-4f;

    static readonly JsonElement Manifest =
        JsonDocument.Parse(File.ReadAllText(Fixtures.Path("transformers", "embeddings", "manifest.json"))).RootElement.Clone();

    public static TheoryData<string> Models => new(Manifest.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(Models))]
    public void Embeddings_match_transformers(string name)
    {
        var c = Manifest.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        using var generator = BertEmbeddingGenerator.Load(Fixtures.Path("transformers", "embeddings", name), threads: 2);
        Assert.Equal(c.GetProperty("pooling").GetString() == "cls" ? EmbeddingPooling.Cls : EmbeddingPooling.Mean, generator.Model.Config.Pooling);

        var pooled = Rows(c, "pooled");
        var normalized = Rows(c, "normalized");
        float worstPooled = 0, worstNormalized = 0;
        int s = 0;
        foreach (var sequence in c.GetProperty("sequences").EnumerateArray())
        {
            int[] ids = sequence.EnumerateArray().Select(e => e.GetInt32()).ToArray();
            float[] ours = generator.Model.Encode(ids);
            worstPooled = Math.Max(worstPooled, MaxDifference(ours, pooled[s]));
            TensorPrimitives.Divide(ours, TensorPrimitives.Norm(ours), ours);
            worstNormalized = Math.Max(worstNormalized, MaxDifference(ours, normalized[s]));
            s++;
        }
        output.WriteLine($"{name}: max |Δ| pooled {worstPooled:G3}, normalised {worstNormalized:G3}");
        Assert.True(worstPooled <= MaxAbsoluteError, $"{name}: pooled max |Δ| {worstPooled:G3} > {MaxAbsoluteError}");
        Assert.True(worstNormalized <= MaxAbsoluteError, $"{name}: normalised max |Δ| {worstNormalized:G3} > {MaxAbsoluteError}");
    }

    static float[][] Rows(JsonElement c, string property) =>
        c.GetProperty(property).EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetSingle()).ToArray()).ToArray();

    static float MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(b.Length, a.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
